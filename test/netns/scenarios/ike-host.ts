/**
 * An esprit host running `esprit start --config FILE --run-dir DIR` in a lab namespace, with
 * the CLI clients (`up`, `down`, `list-sas --json`, `monitor --json`) run in the same
 * namespace against DIR.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { IkeSaListing } from '../../../src/cli/commands/ikectl.js';
import { THREADS_ENV } from '../../../src/cli/commands/ipsecd.js';
import type { ExecResult, Lab, LabProcess, Role } from '../harness.js';
import { ESPRIT_MAIN } from './esprit-node.js';

let counter = 0;

/** `esprit ikectl list-sas --json` output, typed by the CLI that prints it. */
export type IkeSaJson = IkeSaListing;

export class IkeHost {
  private logLevel = 'debug';
  private constructor(
    readonly lab: Lab,
    readonly role: Role,
    readonly dir: string,
    readonly runDir: string,
    readonly config: string,
    public proc: LabProcess,
  ) {}

  /**
   * Write `swanctl.conf` (and `files`, relative to the config directory: x509/..., private/...)
   * and start the host; resolves once it printed `esprit: ready`.
   */
  static async start(
    lab: Lab,
    role: Role,
    conf: string,
    files: Record<string, string | Uint8Array> = {},
    logLevel = 'debug',
  ): Promise<IkeHost> {
    const dir = mkdtempSync(join(lab.tmp, `${role}-ike-${counter++}-`));
    const config = join(dir, 'swanctl.conf');
    writeFileSync(config, conf);
    for (const [name, data] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), data);
    }
    const runDir = join(dir, 'run');
    const h = new IkeHost(lab, role, dir, runDir, config, IkeHost.spawn(lab, role, config, runDir, logLevel));
    h.logLevel = logLevel;
    await h.ready();
    return h;
  }

  private static spawn(lab: Lab, role: Role, config: string, runDir: string, logLevel: string): LabProcess {
    return lab.spawn(role, [
      process.execPath,
      ESPRIT_MAIN,
      'start',
      '--config',
      config,
      '--run-dir',
      runDir,
      '--log-level',
      logLevel,
    ]);
  }

  async ready(timeoutMs = 15_000): Promise<void> {
    for (let t = 0; t < timeoutMs && !this.proc.stderr.includes('esprit: ready'); t += 50) {
      if (this.proc.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!this.proc.stderr.includes('esprit: ready'))
      throw new Error(`esprit start in ${this.role} not ready:\n${this.proc.stderr}`);
    // the threaded pass of the suite (scripts/run-tests.mjs) must really run the sealing thread
    if (process.env[THREADS_ENV] === '2' && !this.proc.stderr.includes('sealing thread started'))
      throw new Error(`esprit start in ${this.role}: ${THREADS_ENV}=2 but no sealing thread:\n${this.proc.stderr}`);
  }

  /** Start again with the same config and run dir (after a kill). */
  async restart(): Promise<void> {
    this.proc = IkeHost.spawn(this.lab, this.role, this.config, this.runDir, this.logLevel);
    await this.ready();
  }

  cli(args: readonly string[], timeoutMs = 60_000): Promise<ExecResult> {
    return this.lab.exec(this.role, [process.execPath, ESPRIT_MAIN, ...args, '--run-dir', this.runDir], {
      allowFail: true,
      timeoutMs,
    });
  }

  up(conn: string, child?: string): Promise<ExecResult> {
    return this.cli(['up', conn, ...(child ? ['--child', child] : [])], 120_000);
  }

  async listSas(): Promise<IkeSaJson[]> {
    const r = await this.cli(['list-sas', '--json']);
    if (r.code !== 0) throw new Error(`list-sas failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as IkeSaJson[];
  }

  async listSasText(): Promise<string> {
    return (await this.cli(['list-sas'])).stdout;
  }

  /** `esprit monitor --json` in the namespace; its stdout lines are the events. */
  monitor(): LabProcess {
    return this.lab.spawn(this.role, [process.execPath, ESPRIT_MAIN, 'monitor', '--json', '--run-dir', this.runDir]);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.proc.kill(signal);
    return this.proc.exited;
  }
}
