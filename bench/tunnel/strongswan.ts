import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ExecResult, LAB, type Lab, type LabProcess, run } from '../../test/netns/harness.js';
import type { TunnelEndpoints, TunnelUnderTest } from './tunnel-under-test.js';

/**
 * strongSwan 5.9.8 with kernel-libipsec (userland ESP on the TUN ipsec0) as a benchmark peer:
 * one isolated charon per lab namespace, configured from bench/tunnel/strongswan/{client,gw}/.
 *
 *   ip netns exec <ns> unshare -m --propagation private \
 *     sh -c 'mount --bind RUNDIR /run && exec env STRONGSWAN_CONF=<conf> /usr/lib/ipsec/charon'
 *
 * charon has compiled-in paths (/run/charon.pid; the vici socket is put at /run/charon.vici by
 * our strongswan.conf), so a private mount namespace with a per-instance directory over /run
 * keeps two instances apart; `ip netns exec`, `unshare` and `exec` keep the PID, so the spawned
 * PID is charon's. swanctl runs from the host against RUNDIR/charon.vici, with the command
 * first and --uri after it (`swanctl --uri X --stats` is rejected).
 */

export const CHARON = '/usr/lib/ipsec/charon';
const IKE_NAME = 'bench';
const CHILD_NAME = 'bench-net';

/** bench/tunnel/strongswan/ in the source tree (this file runs from dist/bench/tunnel/). */
export function strongSwanConfDir(): string {
  return fileURLToPath(new URL('../../../bench/tunnel/strongswan/', import.meta.url));
}

export type CharonRole = 'client' | 'gw';

/** One charon process inside a lab namespace. */
export class CharonInstance {
  private constructor(
    readonly role: CharonRole,
    readonly runDir: string,
    readonly conf: string,
    private readonly proc: LabProcess,
  ) {}

  get pid(): number {
    return this.proc.pid;
  }

  get uri(): string {
    return `unix://${join(this.runDir, 'charon.vici')}`;
  }

  /** Start charon in `role` and wait (up to 10 s) until it answers on its vici socket. */
  static async start(lab: Lab, role: CharonRole, confDir = strongSwanConfDir()): Promise<CharonInstance> {
    // A fresh directory per instance: a stale charon.vici or charon.log of an earlier instance
    // would make the readiness check below pass before the new charon listens.
    const runDir = mkdtempSync(join(lab.tmp, `charon-${role}-`));
    const conf = join(confDir, role, 'strongswan.conf');
    if (!existsSync(conf)) throw new Error(`missing ${conf}`);
    const script = `mount --bind '${runDir}' /run && exec env STRONGSWAN_CONF='${conf}' ${CHARON}`;
    const proc = lab.spawn(role, ['unshare', '-m', '--propagation', 'private', 'sh', '-c', script]);
    const inst = new CharonInstance(role, runDir, conf, proc);
    let ready = false;
    for (let i = 0; i < 100 && !ready; i++) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) break;
      await sleep(100);
      ready = existsSync(join(runDir, 'charon.vici')) && (await inst.answers());
    }
    if (!ready) {
      proc.kill('SIGKILL');
      throw new Error(`charon in ${role} did not come up: ${proc.stderr.trim()} ${inst.logTail()}`);
    }
    const pidFile = join(runDir, 'charon.pid');
    const recorded = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : proc.pid;
    if (recorded !== proc.pid) {
      await inst.stop();
      throw new Error(`charon in ${role}: pid file says ${recorded}, spawned ${proc.pid}`);
    }
    return inst;
  }

  /** `swanctl <command> --uri <this instance> ...args` from the host. */
  swanctl(command: string, args: readonly string[] = [], timeoutMs = 20_000): Promise<ExecResult> {
    return run(['env', `STRONGSWAN_CONF=${this.conf}`, 'swanctl', command, '--uri', this.uri, ...args], {
      timeoutMs,
    });
  }

  /** True when `swanctl --stats` gets an answer from this instance. */
  private async answers(): Promise<boolean> {
    const r = await run(['env', `STRONGSWAN_CONF=${this.conf}`, 'swanctl', '--stats', '--uri', this.uri], {
      allowFail: true,
      timeoutMs: 5000,
    });
    return r.code === 0;
  }

  /** The last lines of this instance's charon.log (for error messages). */
  logTail(lines = 20): string {
    const log = join(this.runDir, 'charon.log');
    if (!existsSync(log)) return '(no charon.log)';
    return readFileSync(log, 'utf8').split('\n').slice(-lines).join('\n');
  }

  /** SIGKILL (a crash: charon sends no Delete); resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.proc.child.exitCode !== null || this.proc.child.signalCode !== null) return;
    this.proc.kill('SIGKILL');
    await this.proc.exited;
  }

  /** SIGTERM by PID, SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (this.proc.child.exitCode !== null || this.proc.child.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const done = await Promise.race([this.proc.exited.then(() => true), sleep(5000).then(() => false)]);
    if (!done) {
      this.proc.kill('SIGKILL');
      await this.proc.exited;
    }
  }
}

/**
 * IKEv2 PSK tunnel client (behind the NAT) → gw, ESP AES-GCM-128 in UDP 4500, inner
 * 10.99.4.1/32 === 10.99.3.0/24; both ends kernel-libipsec.
 */
export class StrongSwanTunnel implements TunnelUnderTest {
  readonly name = 'strongswan';
  private instances: CharonInstance[] = [];

  constructor(private readonly confDir = strongSwanConfDir()) {}

  /** The charon instances while the tunnel is up (gw first). */
  get charons(): readonly CharonInstance[] {
    return this.instances;
  }

  async setup(lab: Lab): Promise<TunnelEndpoints> {
    try {
      for (const role of ['gw', 'client'] as const) {
        const c = await CharonInstance.start(lab, role, this.confDir);
        this.instances.push(c);
        await c.swanctl('--load-all', ['--file', join(this.confDir, role, 'swanctl.conf')]);
      }
      const client = this.instances[1];
      if (!client) throw new Error('client charon missing');
      await client.swanctl('--initiate', ['--ike', IKE_NAME, '--child', CHILD_NAME, '--timeout', '20'], 30_000);
      await waitForPing(lab, LAB.client.lan4, LAB.gw.protected4);
    } catch (e) {
      const logs = this.instances.map((c) => `--- ${c.role} charon.log ---\n${c.logTail()}`).join('\n');
      await this.teardown();
      throw new Error(`strongSwan tunnel setup failed: ${(e as Error).message}\n${logs}`);
    }
    return {
      serverAddress: LAB.gw.protected4,
      bindAddress: LAB.client.lan4,
      pids: this.instances.map((c) => c.pid),
    };
  }

  async teardown(): Promise<void> {
    const all = this.instances.reverse();
    this.instances = [];
    for (const c of all) await c.stop();
  }
}

/** Ping `dst` from `src` in `client` until one echo is answered (up to ~10 s). */
export async function waitForPing(lab: Lab, src: string, dst: string, tries = 10): Promise<void> {
  let last = '';
  for (let i = 0; i < tries; i++) {
    const r = await lab.exec('client', ['ping', '-c1', '-W1', '-I', src, dst], { allowFail: true });
    if (r.code === 0) return;
    last = r.stdout + r.stderr;
    await sleep(500);
  }
  throw new Error(`no ping through the tunnel ${src} -> ${dst}: ${last.trim()}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
