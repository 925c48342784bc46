import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { THREADS_ENV } from '../../../src/cli/commands/ipsecd.js';
import { type ExecResult, type Lab, type LabProcess, type Role, requireSystem } from '../harness.js';

/**
 * One `esprit ipsecd` inside a lab namespace, driven the way an operator would: the CLI
 * (`esprit ipsecd`, `esprit setkey -f`, `esprit status --json`) and nothing else.
 *
 *   EspritNode.start(lab, 'client', {...})  spawns  node dist/src/cli/main.js ipsecd --tun esp0 ...
 *        │ sockets under a fresh temp dir (pfkey.sock, control.sock, ike.sock), unique per node
 *        │ resolves once stderr says "ipsecd: ready"
 *   node.setkey(config)                     writes the script, runs `esprit setkey -f` in the namespace
 *   node.status()                           `esprit status --json`, parsed
 *   node.stop() / node.kill()               SIGTERM (SIGKILL after 3 s) / SIGKILL
 */

/** dist/src/cli/main.js (this file runs from dist/test/netns/scenarios/). */
export const ESPRIT_MAIN = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

/** Tools every scenario needs (plus /dev/net/tun); callers add their own. */
export const SCENARIO_TOOLS = ['ip', 'nft', 'conntrack', 'tcpdump', 'tshark', 'ping', 'sysctl', '/dev/net/tun'];

/** requireSystem() with the scenario tools: a skip reason, or undefined; throws in CI. */
export function requireScenarioSystem(extra: readonly string[] = []): string | undefined {
  return requireSystem([...SCENARIO_TOOLS, ...extra]);
}

export type Framing = 'rfc3948' | 'udp-encaps-00' | 'cisco-udp';

export interface EspritNodeOptions {
  /** TUN name (default esp0) */
  readonly tun?: string;
  readonly tunAddresses?: readonly string[];
  readonly routes?: readonly string[];
  /** ADDR:PORT[/ROLE]; none → ipsecd's defaults (0.0.0.0 and [::], ports 500 and 4500) */
  readonly listen?: readonly string[];
  readonly noRawEsp?: boolean;
  readonly keepaliveInterval?: number;
  readonly mtu?: number;
  readonly extraArgs?: readonly string[];
  /** environment for ipsecd on top of the test's own (e.g. ESPRIT_NATIVE=off) */
  readonly env?: Readonly<Record<string, string>>;
  /** how long to wait for "ipsecd: ready" (default 15 s) */
  readonly readyTimeoutMs?: number;
}

/** Loosely typed `esprit status --json` (the daemon owns the shape; we read what we assert on). */
export type StatusJson = Record<string, unknown>;

/** A data-plane SA as `status` shows it (docs/dataplane.md §7). */
export interface DataplaneSa {
  readonly spi: string;
  readonly direction?: string;
  readonly reqid?: number;
  readonly src?: string;
  readonly dst?: string;
  readonly framing?: string;
  readonly peer?: { readonly address: string; readonly port: number };
  readonly packets?: number;
  readonly bytes?: number;
  readonly drops?: Record<string, number>;
  readonly [k: string]: unknown;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let nodeCounter = 0;

export class EspritNode {
  private constructor(
    readonly lab: Lab,
    readonly role: Role,
    readonly dir: string,
    readonly tun: string,
    readonly proc: LabProcess,
  ) {}

  get pfkeySocket(): string {
    return join(this.dir, 'pfkey.sock');
  }

  get controlSocket(): string {
    return join(this.dir, 'control.sock');
  }

  get pid(): number {
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc.child.exitCode === null && this.proc.child.signalCode === null;
  }

  /** ipsecd argv (without `node main.js`) for these options and socket directory. */
  static args(dir: string, o: EspritNodeOptions): string[] {
    const a = ['ipsecd', '--tun', o.tun ?? 'esp0'];
    for (const t of o.tunAddresses ?? []) a.push('--tun-address', t);
    for (const r of o.routes ?? []) a.push('--route', r);
    for (const l of o.listen ?? []) a.push('--listen', l);
    a.push('--pfkey-socket', join(dir, 'pfkey.sock'), '--control-socket', join(dir, 'control.sock'));
    a.push('--ike-socket', join(dir, 'ike.sock'));
    if (o.noRawEsp) a.push('--no-raw-esp');
    if (o.keepaliveInterval !== undefined) a.push('--keepalive-interval', String(o.keepaliveInterval));
    if (o.mtu !== undefined) a.push('--mtu', String(o.mtu));
    a.push(...(o.extraArgs ?? []));
    return a;
  }

  /** Start ipsecd in `role` and wait for `ipsecd: ready` on its stderr. */
  static async start(lab: Lab, role: Role, o: EspritNodeOptions = {}): Promise<EspritNode> {
    const dir = mkdtempSync(join(lab.tmp, `${role}-${nodeCounter++}-`));
    return EspritNode.startIn(lab, role, dir, o);
  }

  /** Start ipsecd reusing a socket directory (a restart after a crash leaves stale socket files there). */
  static async startIn(lab: Lab, role: Role, dir: string, o: EspritNodeOptions): Promise<EspritNode> {
    // env(1) execs node in place: the pid stays ipsecd's
    const env = Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`);
    const argv = [process.execPath, ESPRIT_MAIN, ...EspritNode.args(dir, o)];
    const proc = lab.spawn(role, env.length > 0 ? ['env', ...env, ...argv] : argv);
    const node = new EspritNode(lab, role, dir, o.tun ?? 'esp0', proc);
    const deadline = Date.now() + (o.readyTimeoutMs ?? 15_000);
    while (!/ipsecd: ready/.test(proc.stderr)) {
      if (!node.running) {
        const { code, signal } = await proc.exited;
        throw new Error(`ipsecd in ${role} exited (${code ?? signal}) before ready:\n${proc.stderr}`);
      }
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`ipsecd in ${role} not ready after ${o.readyTimeoutMs ?? 15_000} ms:\n${proc.stderr}`);
      }
      await sleep(50);
    }
    // the threaded pass of the suite (scripts/run-tests.mjs) must really run the sealing thread
    const threads = o.env?.[THREADS_ENV] ?? process.env[THREADS_ENV];
    if (threads === '2' && !argv.includes('dgram') && !/sealing thread started/.test(proc.stderr)) {
      proc.kill('SIGKILL');
      throw new Error(`ipsecd in ${role}: ${THREADS_ENV}=2 but no sealing thread:\n${proc.stderr}`);
    }
    return node;
  }

  /** `esprit <args>` in this node's namespace. */
  esprit(args: readonly string[], allowFail = false): Promise<ExecResult> {
    return this.lab.exec(this.role, [process.execPath, ESPRIT_MAIN, ...args], { allowFail, timeoutMs: 20_000 });
  }

  /** Write `config` to a file and run `esprit setkey --socket ... -f FILE` (rejects when any statement failed). */
  async setkey(config: string, name = 'setkey.conf'): Promise<ExecResult> {
    const file = join(this.dir, name);
    writeFileSync(file, config);
    return this.esprit(['setkey', '--socket', this.pfkeySocket, '-f', file]);
  }

  /** `esprit status --json`, parsed. */
  async status(): Promise<StatusJson> {
    const r = await this.esprit(['status', '--control-socket', this.controlSocket, '--json']);
    return JSON.parse(r.stdout) as StatusJson;
  }

  /** `esprit status` as a human-readable table. */
  async statusText(): Promise<string> {
    return (await this.esprit(['status', '--control-socket', this.controlSocket])).stdout;
  }

  /** The data plane's SAs from a status answer. */
  async sas(): Promise<DataplaneSa[]> {
    return dataplaneSas(await this.status());
  }

  /** SIGTERM, then SIGKILL after 3 s; resolves once the process is gone. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.proc.exited;
    this.proc.kill('SIGTERM');
    const done = await Promise.race([this.proc.exited.then(() => true), sleep(3000).then(() => false)]);
    if (!done) this.proc.kill('SIGKILL');
    return this.proc.exited;
  }

  /** SIGKILL (a crash: no cleanup runs in ipsecd). */
  async kill(): Promise<void> {
    this.proc.kill('SIGKILL');
    await this.proc.exited;
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * The data plane's SA list in a status answer: the first array (searched breadth-first) whose
 * entries carry `spi` and `framing` (docs/dataplane.md §7), so the reader does not depend on
 * where the daemon nests it.
 */
export function dataplaneSas(status: unknown): DataplaneSa[] {
  const queue: unknown[] = [status];
  while (queue.length > 0) {
    const x = queue.shift();
    if (Array.isArray(x)) {
      if (x.length > 0 && x.every((e) => isRecord(e) && 'spi' in e && 'framing' in e)) return x as DataplaneSa[];
      queue.push(...x);
    } else if (isRecord(x)) queue.push(...Object.values(x));
  }
  return [];
}

/** The SA with this SPI (number or hex text) in a list from dataplaneSas(). */
export function saBySpi(sas: readonly DataplaneSa[], spi: number): DataplaneSa | undefined {
  return sas.find((s) => {
    const v = s.spi as unknown;
    if (typeof v === 'number') return v >>> 0 === spi >>> 0;
    if (typeof v === 'string') return Number.parseInt(v.replace(/^0x/, ''), 16) === spi >>> 0;
    return false;
  });
}

/** Stop every node, ignoring the ones already gone. */
export async function stopAll(nodes: readonly EspritNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
}

/**
 * The first number named `key` in a status answer, searched breadth-first (so `totals.X`
 * wins over a listener's or an SA's `X`); undefined when absent.
 */
export function statusNumber(status: unknown, key: string): number | undefined {
  const queue: unknown[] = [status];
  while (queue.length > 0) {
    const x = queue.shift();
    if (Array.isArray(x)) queue.push(...x);
    else if (isRecord(x)) {
      const v = x[key];
      if (typeof v === 'number') return v;
      if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
      queue.push(...Object.values(x));
    }
  }
  return undefined;
}

/** Poll `probe` every 250 ms until it returns a value that is not undefined (or time runs out → undefined). */
export async function pollFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) return undefined;
    await sleep(250);
  }
}
