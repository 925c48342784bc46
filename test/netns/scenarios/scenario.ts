import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { LAB, Lab, type LabOptions, newPrefix } from '../harness.js';
import { EspritNode, type EspritNodeOptions, type Framing, stopAll } from './esprit-node.js';
import { type TunnelKeys, type TunnelPairSpec, tunnelPair } from './setkey-config.js';
import { iperf3, type PingResult, ping, waitForPing } from './traffic.js';
import { udpBurstArrives } from './udp-burst.js';

/**
 * The flow every scenario shares, so each test file holds only what it checks:
 *
 *   const scenario = useLab('r3948-', { skip });        before(): Lab.create; after(): stop nodes, destroy
 *   const l = scenario.lab;                              the lab (asserts that before() made it)
 *   const { client, gw, cfg } = await scenario.startKeyedPair({ tunnel: natTunnel(K) });
 *        │ starts ipsecd in client and gw (CLIENT_NODE / GW_NODE + extras), tracked for after()
 *        │ tunnelPair(tunnel) → `esprit setkey -f` on both ends
 *   await pingsPass(l, 5);                               waitForPing, then 5 pings, all answered
 */

/** The client's side of the lab's standard tunnel: the gw's protected LAN. */
export const GW_LAN4 = '10.99.3.0/24';

/** ipsecd options of the client in the standard tunnel (route to the gw's protected LAN). */
export const CLIENT_NODE: EspritNodeOptions = { routes: [GW_LAN4] };
/** ipsecd options of the gw in the standard tunnel (route back to the client's inner address). */
export const GW_NODE: EspritNodeOptions = { routes: [`${LAB.client.lan4}/32`] };

/**
 * The standard NAT-T tunnel of the lab: the client (behind the NAT) ↔ gw on `port` (default
 * 4500) with `framing` (default rfc3948), the gw seeing the NAT's public address;
 * client lan4/32 ↔ 10.99.3.0/24.
 */
export function natTunnel(keys: TunnelKeys, o: { port?: number; framing?: Framing } = {}): TunnelPairSpec {
  const port = o.port ?? 4500;
  return {
    keys,
    client: LAB.client.v4,
    gw: LAB.gw.v4,
    clientSeenByGw: LAB.natWan.v4,
    clientPort: port,
    gwPort: port,
    framing: o.framing ?? 'rfc3948',
    behindNat: true,
    selectors: [[`${LAB.client.lan4}/32`, GW_LAN4]],
  };
}

/** KEYS[i], failing loudly when a scenario asks for a set that does not exist. */
export function keysAt(keys: readonly TunnelKeys[], i: number): TunnelKeys {
  const k = keys[i];
  assert.ok(k, `no tunnel keys #${i}`);
  return k;
}

export interface NodePair {
  readonly client: EspritNode;
  readonly gw: EspritNode;
}

export interface PairOptions {
  /** merged over CLIENT_NODE */
  readonly client?: EspritNodeOptions;
  /** merged over GW_NODE */
  readonly gw?: EspritNodeOptions;
}

export interface KeyedPairSpec extends PairOptions {
  readonly tunnel: TunnelPairSpec;
  /** setkey script file name on both ends (default setkey.conf) */
  readonly file?: string;
}

export interface KeyedPair extends NodePair {
  /** both ends' setkey scripts, as loaded */
  readonly cfg: { readonly client: string; readonly gw: string };
}

/** Start ipsecd in client and gw; each node is pushed to `track` as soon as it is up. */
export async function startPair(lab: Lab, o: PairOptions = {}, track?: EspritNode[]): Promise<NodePair> {
  const start = async (role: 'client' | 'gw', base: EspritNodeOptions, extra: EspritNodeOptions | undefined) => {
    const n = await EspritNode.start(lab, role, { ...base, ...extra });
    track?.push(n);
    return n;
  };
  const [client, gw] = await Promise.all([start('client', CLIENT_NODE, o.client), start('gw', GW_NODE, o.gw)]);
  return { client, gw };
}

/** tunnelPair(spec), loaded with `esprit setkey -f` on both ends (client first). */
export async function loadKeys(
  pair: NodePair,
  spec: TunnelPairSpec,
  file?: string,
): Promise<{ client: string; gw: string }> {
  const cfg = tunnelPair(spec);
  await pair.client.setkey(cfg.client, file);
  await pair.gw.setkey(cfg.gw, file);
  return cfg;
}

/** startPair, then loadKeys. */
export async function startKeyedPair(lab: Lab, spec: KeyedPairSpec, track?: EspritNode[]): Promise<KeyedPair> {
  const pair = await startPair(lab, spec, track);
  const cfg = await loadKeys(pair, spec.tunnel, spec.file);
  return { ...pair, cfg };
}

/**
 * waitForPing through the tunnel (client lan → gw protected), then `count` pings that must all
 * be answered; returns the counted run.
 */
export async function pingsPass(
  lab: Lab,
  count: number,
  src: string = LAB.client.lan4,
  dst: string = LAB.gw.protected4,
): Promise<PingResult> {
  await waitForPing(lab, 'client', src, dst);
  const p = await ping(lab, 'client', src, dst, { count });
  assert.equal(p.received, count, p.output);
  return p;
}

/**
 * The standard tunnel's data path end to end (client lan → gw protected): 5 pings all
 * answered, the UDP burst byte for byte (udp-burst.ts), and a 2 s iperf3 TCP stream that moves
 * data.
 */
export async function pingBurstAndTcpPass(lab: Lab): Promise<void> {
  await pingsPass(lab, 5);
  await udpBurstArrives(lab);
  const perf = await iperf3(lab, {
    clientRole: 'client',
    serverRole: 'gw',
    serverAddress: LAB.gw.protected4,
    bindAddress: LAB.client.lan4,
    seconds: 2,
  });
  assert.ok(perf.bytesReceived > 0, 'iperf3 TCP moved data through the tunnel');
}

export interface UseLabOptions extends Partial<LabOptions> {
  /** requireScenarioSystem()'s answer: when set, before() creates nothing */
  readonly skip: string | undefined;
  /** run in before() right after the lab exists (e.g. reshape the NAT) */
  readonly setup?: (lab: Lab) => Promise<void>;
}

export interface ScenarioLab {
  /** The lab before() created (asserts that it did). */
  readonly lab: Lab;
  /** Nodes stopped in after(), before the lab is destroyed. */
  readonly nodes: EspritNode[];
  /** startKeyedPair in this lab, the nodes tracked for after(). */
  startKeyedPair(spec: KeyedPairSpec): Promise<KeyedPair>;
}

/**
 * Register before()/after() for a scenario file: a lab named `${newPrefix()}${prefix}` with
 * masquerade random (unless `natPorts` says otherwise), torn down with every tracked node.
 */
export function useLab(prefix: string, o: UseLabOptions): ScenarioLab {
  const { skip, setup, ...labOptions } = o;
  let lab: Lab | undefined;
  const nodes: EspritNode[] = [];
  before(async () => {
    if (skip) return;
    lab = await Lab.create({ natPorts: 'random', ...labOptions, prefix: `${newPrefix()}${prefix}` });
    await setup?.(lab);
  });
  after(async () => {
    await stopAll(nodes);
    await lab?.destroy();
  });
  return {
    get lab(): Lab {
      assert.ok(lab, 'lab was not created');
      return lab;
    },
    nodes,
    startKeyedPair: (spec) => startKeyedPair(lab ?? assert.fail('lab was not created'), spec, nodes),
  };
}
