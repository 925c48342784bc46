import { existsSync } from 'node:fs';
import { LAB, type Lab } from '../../test/netns/harness.js';
import { ESPRIT_MAIN, EspritNode, stopAll } from '../../test/netns/scenarios/esprit-node.js';
import { type TunnelKeys, tunnelPair } from '../../test/netns/scenarios/setkey-config.js';
import { waitForPing } from '../../test/netns/scenarios/traffic.js';
import { type TunnelEndpoints, TunnelUnavailableError, type TunnelUnderTest } from './tunnel-under-test.js';

/**
 * The esprit tunnel for the benchmark: two `esprit ipsecd` (TUN esp0) in lab namespaces
 * `client` (behind the NAT) and `gw`, keyed statically with `esprit setkey -f`, in the same
 * shape as strongSwan's (strongswan.ts): ESP AES-GCM-128 (16-byte ICV, RFC 4106) in UDP 4500
 * (RFC 3948), tunnel mode, 10.99.4.1/32 === 10.99.3.0/24. The client sends NAT-keepalives
 * (-n keepalive); the gw starts with the NAT's public address and port 4500 and follows the
 * real mapping from the first authenticated packet (-n float).
 *
 * Static keys instead of IKE: the benchmark measures the data plane (strongSwan's IKE cost
 * is over before iperf3 starts as well).
 */

/** Hand-written AES-128-GCM keys + 4-byte salts (RFC 4106 §8.1), used only by the benchmark. */
const BENCH_KEYS: TunnelKeys = {
  clientToGw: { spi: 0xbe000001, reqid: 101, key: '5ee1c0de5ee1c0de5ee1c0de5ee1c0de0badf00d' },
  gwToClient: { spi: 0xbe000002, reqid: 102, key: 'feedfacefeedfacefeedfacefeedface0d15ea5e' },
};

export interface EspritTunnelOptions {
  /** ipsecd --crypto (default: ipsecd's own default) */
  readonly crypto?: 'auto' | 'evp' | 'node';
  /** extra ipsecd arguments for both ends */
  readonly extraArgs?: readonly string[];
}

export function espritTunnel(o: EspritTunnelOptions = {}): TunnelUnderTest {
  let nodes: EspritNode[] = [];
  const extra = [...(o.crypto ? ['--crypto', o.crypto] : []), ...(o.extraArgs ?? [])];
  const teardown = async (): Promise<void> => {
    await stopAll(nodes);
    nodes = [];
  };
  return {
    name: 'esprit',
    async setup(lab: Lab): Promise<TunnelEndpoints> {
      if (!existsSync(ESPRIT_MAIN)) throw new TunnelUnavailableError(`${ESPRIT_MAIN} is missing (npm run build)`);
      try {
        nodes = await Promise.all([
          EspritNode.start(lab, 'client', { routes: ['10.99.3.0/24'], extraArgs: extra }),
          EspritNode.start(lab, 'gw', { routes: [`${LAB.client.lan4}/32`], extraArgs: extra }),
        ]);
        const [client, gw] = nodes;
        if (!client || !gw) throw new Error('ipsecd did not start');
        const cfg = tunnelPair({
          keys: BENCH_KEYS,
          client: LAB.client.v4,
          gw: LAB.gw.v4,
          clientSeenByGw: LAB.natWan.v4,
          clientPort: 4500,
          gwPort: 4500,
          framing: 'rfc3948',
          behindNat: true,
          selectors: [[`${LAB.client.lan4}/32`, '10.99.3.0/24']],
        });
        await client.setkey(cfg.client, 'bench.conf');
        await gw.setkey(cfg.gw, 'bench.conf');
        await waitForPing(lab, 'client', LAB.client.lan4, LAB.gw.protected4, 20);
        return { serverAddress: LAB.gw.protected4, bindAddress: LAB.client.lan4, pids: nodes.map((n) => n.pid) };
      } catch (e) {
        const logs = nodes.map((n) => `--- ${n.role} ipsecd stderr ---\n${n.proc.stderr.slice(-2000)}`).join('\n');
        await teardown();
        throw new Error(`esprit tunnel setup failed: ${(e as Error).message}\n${logs}`);
      }
    },
    teardown,
  };
}
