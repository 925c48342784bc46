import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * Network-namespace test harness: the topology of ../shared/lab/netns-nat.sh, built under
 * a unique prefix per run so parallel runs never collide, and never connected to the root
 * namespace (every address exists only inside the namespaces created here).
 *
 *   client ──veth── nat (nftables masquerade [random], NAT44 + NAT66, stateful fwd) ──veth── gw
 *  10.99.1.2        lan 10.99.1.1 / wan 10.99.2.1                                    10.99.2.2
 *  fd99:1::2        fd99:1::1     / fd99:2::1                                        fd99:2::2
 *  lo 10.99.4.1                                                            lo 10.99.3.1, fd99:3::1
 *  [client2 10.99.1.3 / fd99:1::3, when asked: nat's "lan" is then a bridge over two veths;
 *   client3 10.99.1.4 and client4 10.99.1.5 with `clients: 4` (bench/tunnel's gateway mode)]
 *  [second link, when asked: client eth1 10.99.7.2 ──veth── nat lan2 10.99.7.1, masqueraded
 *   like "lan"; no default route over it until a test moves it there (MOBIKE)]
 *
 * Teardown kills every process inside the namespaces by PID (`ip netns pids`), then deletes
 * them; it is idempotent and also runs on process 'exit', SIGINT and SIGTERM.
 */

export type Role = 'client' | 'nat' | 'gw' | 'client2' | 'client3' | 'client4';

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export interface ExecOptions {
  /** Resolve instead of rejecting on a non-zero exit (default false). */
  readonly allowFail?: boolean;
  /** Kill the command after this long (default 20 s). */
  readonly timeoutMs?: number;
}

export class ExecError extends Error {
  override readonly name = 'ExecError';
  constructor(
    readonly argv: readonly string[],
    readonly result: ExecResult,
  ) {
    super(`${argv.join(' ')} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
  }
}

/** Run argv (no shell). */
export function run(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const [bin, ...args] = argv;
  if (!bin) return Promise.reject(new Error('empty argv'));
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      args,
      { encoding: 'utf8', timeout: opts.timeoutMs ?? 20_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        const result = { stdout, stderr, code };
        if (code !== 0 && !opts.allowFail) reject(new ExecError(argv, result));
        else resolve(result);
      },
    );
  });
}

/** A process started inside a namespace; killed on teardown. Collects stdout lines. */
export class LabProcess {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<{ re: RegExp; resolve: (line: string) => void }> = [];
  private partial = '';

  constructor(
    readonly argv: readonly string[],
    readonly child: ChildProcess,
  ) {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (s: string) => {
      this.partial += s;
      let i = this.partial.indexOf('\n');
      while (i >= 0) {
        const line = this.partial.slice(0, i);
        this.partial = this.partial.slice(i + 1);
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => {
          if (!w.re.test(line)) return true;
          w.resolve(line);
          return false;
        });
        i = this.partial.indexOf('\n');
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      this.stderr += s;
    });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The first stdout line (already seen or future) matching `re`; rejects after `timeoutMs` or on exit. */
  waitForLine(re: RegExp, timeoutMs = 10_000): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timeout waiting for ${re} from ${this.argv.join(' ')}; stderr: ${this.stderr}`));
      }, timeoutMs);
      const w = {
        re,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      this.waiters.push(w);
      void this.exited.then(({ code, signal }) => {
        if (!this.waiters.includes(w)) return;
        clearTimeout(timer);
        reject(new Error(`${this.argv.join(' ')} exited (${code ?? signal}) before ${re}; stderr: ${this.stderr}`));
      });
    });
  }

  /** Parse stdout lines as JSON objects (lines that are not JSON are skipped). */
  json(): unknown[] {
    const out: unknown[] = [];
    for (const l of this.lines) {
      try {
        out.push(JSON.parse(l));
      } catch {
        // not a JSON line
      }
    }
    return out;
  }

  write(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** One named network namespace owned by this run. */
export class Netns {
  readonly procs = new Set<LabProcess>();
  private deleted = false;
  private constructor(readonly name: string) {}

  static async create(name: string): Promise<Netns> {
    await run(['ip', 'netns', 'add', name]);
    registerCleanup(name);
    const ns = new Netns(name);
    await ns.exec(['ip', 'link', 'set', 'lo', 'up']);
    return ns;
  }

  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    return run(['ip', 'netns', 'exec', this.name, ...argv], opts);
  }

  /** Start argv inside the namespace (`ip netns exec` execs it, so the PID is the command's). */
  spawn(argv: readonly string[]): LabProcess {
    const full = ['ip', 'netns', 'exec', this.name, ...argv];
    const child = spawn('ip', full.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const p = new LabProcess(full, child);
    this.procs.add(p);
    void p.exited.then(() => this.procs.delete(p));
    return p;
  }

  /** Kill every process in the namespace and delete it (idempotent, synchronous). */
  destroySync(): void {
    if (this.deleted) return;
    this.deleted = true;
    for (const p of this.procs) p.kill('SIGKILL');
    killNamespaceSync(this.name);
    unregisterCleanup(this.name);
  }
}

const liveNamespaces = new Set<string>();
let hooksInstalled = false;

function registerCleanup(name: string): void {
  liveNamespaces.add(name);
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const ns of liveNamespaces) killNamespaceSync(ns);
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const ns of liveNamespaces) killNamespaceSync(ns);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

function unregisterCleanup(name: string): void {
  liveNamespaces.delete(name);
}

function namespaceExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}

function nsPids(name: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split(/\s+/)
      .filter((s) => /^\d+$/.test(s))
      .map(Number);
  } catch {
    return [];
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Kill (TERM, then KILL after up to 1 s) every process in `name` by PID, then delete it. */
export function killNamespaceSync(name: string): void {
  if (!namespaceExists(name)) return;
  const signal = (sig: NodeJS.Signals): number => {
    let n = 0;
    for (const pid of nsPids(name)) {
      try {
        process.kill(pid, sig);
        n++;
      } catch {
        // already gone
      }
    }
    return n;
  };
  if (signal('SIGTERM') > 0) {
    for (let i = 0; i < 20 && nsPids(name).length > 0; i++) sleepSync(50);
    signal('SIGKILL');
    for (let i = 0; i < 20 && nsPids(name).length > 0; i++) sleepSync(50);
  }
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  } catch {
    // raced with another teardown
  }
}

const PREFIX_RE = /^esl-(\d+)-[0-9a-f]{4}-/;

/** A fresh prefix `esl-<pid>-<rand>-`; the pid lets `sweepStaleLabs` find leftovers of dead runs. */
export function newPrefix(): string {
  return `esl-${process.pid}-${randomBytes(2).toString('hex')}-`;
}

/** Delete namespaces left by crashed runs of this harness (prefix pid no longer alive). Returns their names. */
export function sweepStaleLabs(): string[] {
  let names: string[] = [];
  try {
    names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => PREFIX_RE.test(n));
  } catch {
    return [];
  }
  const swept: string[] = [];
  for (const n of names) {
    const pid = Number(PREFIX_RE.exec(n)?.[1]);
    if (existsSync(`/proc/${pid}`)) continue;
    killNamespaceSync(n);
    swept.push(n);
  }
  return swept;
}

export interface LabOptions {
  /** Namespace name prefix (default: newPrefix()). */
  readonly prefix?: string;
  /** Add client2 (10.99.1.3, fd99:1::3) behind the same NAT. */
  readonly secondClient?: boolean;
  /** Clients behind the NAT, 1..4 (default 1, or 2 with secondClient): client, client2, client3, client4. */
  readonly clients?: number;
  /** 'random': masquerade random (CGNAT-like); 'preserve': plain masquerade (ports kept when free). */
  readonly natPorts: 'random' | 'preserve';
  /** nf_conntrack_udp_timeout in the nat namespace, seconds. */
  readonly natUdpTimeout?: number;
  /** A second client link to the NAT (client eth1 ↔ nat lan2, LAB.clientLink2), for MOBIKE. */
  readonly secondLink?: boolean;
}

export interface Capture {
  readonly file: string;
  /** Stop tcpdump (SIGINT, it flushes) and return the pcap path. */
  stop(): Promise<string>;
}

/** Addresses of the lab (as in netns-nat.sh). */
export const LAB = {
  client: { v4: '10.99.1.2', v6: 'fd99:1::2', lan4: '10.99.4.1', lan6: 'fd99:4::1' },
  /** the second client link (LabOptions.secondLink): client eth1 and nat lan2 */
  clientLink2: { client: '10.99.7.2', nat: '10.99.7.1' },
  client2: { v4: '10.99.1.3', v6: 'fd99:1::3' },
  client3: { v4: '10.99.1.4', v6: 'fd99:1::4' },
  client4: { v4: '10.99.1.5', v6: 'fd99:1::5' },
  natLan: { v4: '10.99.1.1', v6: 'fd99:1::1' },
  natWan: { v4: '10.99.2.1', v6: 'fd99:2::1' },
  gw: { v4: '10.99.2.2', v6: 'fd99:2::2', protected4: '10.99.3.1', protected6: 'fd99:3::1' },
} as const;

export class Lab {
  readonly tmp: string;
  private destroyed = false;
  private readonly captures = new Set<LabProcess>();

  private constructor(
    readonly prefix: string,
    readonly ns: Readonly<Record<Role, Netns | undefined>>,
  ) {
    this.tmp = mkdtempSync(join(tmpdir(), `${prefix}pcap-`));
  }

  /** Build the topology; on any failure what was built is torn down and the error rethrown. */
  static async create(opts: LabOptions): Promise<Lab> {
    sweepStaleLabs();
    const prefix = opts.prefix ?? newPrefix();
    const made: Netns[] = [];
    try {
      const mk = async (role: Role): Promise<Netns> => {
        const n = await Netns.create(`${prefix}${role}`);
        made.push(n);
        return n;
      };
      const client = await mk('client');
      const nat = await mk('nat');
      const gw = await mk('gw');
      const n = opts.clients ?? (opts.secondClient ? 2 : 1);
      if (!Number.isInteger(n) || n < 1 || n > 4) throw new Error(`clients must be 1..4, got ${n}`);
      const client2 = n >= 2 ? await mk('client2') : undefined;
      const client3 = n >= 3 ? await mk('client3') : undefined;
      const client4 = n >= 4 ? await mk('client4') : undefined;
      const more = [client2, client3, client4].filter((c): c is Netns => c !== undefined);
      const ip = (n: Netns, ...a: string[]) => n.exec(['ip', ...a]);
      // veth pairs are created directly inside the namespaces (no root-namespace names).
      const veth = (a: Netns, aName: string, b: Netns, bName: string) =>
        run(['ip', 'link', 'add', aName, 'netns', a.name, 'type', 'veth', 'peer', 'name', bName, 'netns', b.name]);
      if (more.length > 0) {
        const ports = [client, ...more].map((_, i) => `lan${i}`);
        for (const [i, c] of [client, ...more].entries()) await veth(c, 'eth0', nat, `lan${i}`);
        await ip(nat, 'link', 'add', 'lan', 'type', 'bridge');
        for (const port of ports) {
          await ip(nat, 'link', 'set', port, 'master', 'lan');
          await ip(nat, 'link', 'set', port, 'up');
        }
      } else {
        await veth(client, 'eth0', nat, 'lan');
      }
      await veth(nat, 'wan', gw, 'eth0');
      if (opts.secondLink) {
        await veth(client, 'eth1', nat, 'lan2');
        await ip(client, 'addr', 'add', `${LAB.clientLink2.client}/24`, 'dev', 'eth1');
        await ip(client, 'link', 'set', 'eth1', 'up');
        await ip(nat, 'addr', 'add', `${LAB.clientLink2.nat}/24`, 'dev', 'lan2');
        await ip(nat, 'link', 'set', 'lan2', 'up');
      }

      const hosts: Array<[Netns, string, string]> = [[client, LAB.client.v4, LAB.client.v6]];
      if (client2) hosts.push([client2, LAB.client2.v4, LAB.client2.v6]);
      if (client3) hosts.push([client3, LAB.client3.v4, LAB.client3.v6]);
      if (client4) hosts.push([client4, LAB.client4.v4, LAB.client4.v6]);
      for (const [h, v4, v6] of hosts) {
        await ip(h, 'addr', 'add', `${v4}/24`, 'dev', 'eth0');
        await ip(h, '-6', 'addr', 'add', `${v6}/64`, 'dev', 'eth0', 'nodad');
        await ip(h, 'link', 'set', 'eth0', 'up');
        await ip(h, 'route', 'add', 'default', 'via', LAB.natLan.v4);
        await ip(h, '-6', 'route', 'add', 'default', 'via', LAB.natLan.v6);
      }
      await ip(client, 'addr', 'add', `${LAB.client.lan4}/32`, 'dev', 'lo');
      await ip(client, '-6', 'addr', 'add', `${LAB.client.lan6}/128`, 'dev', 'lo');
      await ip(nat, 'addr', 'add', `${LAB.natLan.v4}/24`, 'dev', 'lan');
      await ip(nat, 'addr', 'add', `${LAB.natWan.v4}/24`, 'dev', 'wan');
      await ip(nat, '-6', 'addr', 'add', `${LAB.natLan.v6}/64`, 'dev', 'lan', 'nodad');
      await ip(nat, '-6', 'addr', 'add', `${LAB.natWan.v6}/64`, 'dev', 'wan', 'nodad');
      await ip(gw, 'addr', 'add', `${LAB.gw.v4}/24`, 'dev', 'eth0');
      await ip(gw, 'addr', 'add', `${LAB.gw.protected4}/32`, 'dev', 'lo');
      await ip(gw, '-6', 'addr', 'add', `${LAB.gw.v6}/64`, 'dev', 'eth0', 'nodad');
      await ip(gw, '-6', 'addr', 'add', `${LAB.gw.protected6}/128`, 'dev', 'lo');
      await ip(nat, 'link', 'set', 'lan', 'up');
      await ip(nat, 'link', 'set', 'wan', 'up');
      await ip(gw, 'link', 'set', 'eth0', 'up');
      // gw deliberately has no default route and no route to 10.99.1.0/24: it only sees the NAT.

      await nat.exec(['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      await nat.exec(['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']);
      if (opts.natUdpTimeout !== undefined) {
        await nat.exec(['sysctl', '-qw', `net.netfilter.nf_conntrack_udp_timeout=${opts.natUdpTimeout}`]);
      }
      const masq = opts.natPorts === 'preserve' ? 'masquerade' : 'masquerade random';
      const ruleset = `table inet labnat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" ${masq}
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname ${opts.secondLink ? '{ "lan", "lan2" }' : '"lan"'} oifname "wan" accept
    counter comment "dropped unsolicited wan->lan"
  }
}
`;
      await runWithInput(['ip', 'netns', 'exec', nat.name, 'nft', '-f', '-'], ruleset);
      return new Lab(prefix, { client, nat, gw, client2, client3, client4 });
    } catch (e) {
      for (const n of made) n.destroySync();
      throw e;
    }
  }

  /** The namespace of `role` (throws for client2 when the lab has none). */
  netns(role: Role): Netns {
    const n = this.ns[role];
    if (!n) throw new Error(`lab has no ${role}`);
    return n;
  }

  /** Run argv inside `role` (execFile with `ip netns exec`). */
  exec(role: Role, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    return this.netns(role).exec(argv, opts);
  }

  /** Start argv inside `role`; killed on destroy(). */
  spawn(role: Role, argv: readonly string[]): LabProcess {
    return this.netns(role).spawn(argv);
  }

  /** tcpdump -U --immediate-mode -w FILE (packets reach the file at once, not per 1 s ring block) on `iface` in `role`, started and listening when this resolves. */
  async capture(role: Role, iface: string, filter = ''): Promise<Capture> {
    const file = join(this.tmp, `${role}-${iface}-${this.captures.size}.pcap`);
    const argv = ['tcpdump', '-n', '-U', '--immediate-mode', '-i', iface, '-w', file, ...(filter ? [filter] : [])];
    const p = this.spawn(role, argv);
    this.captures.add(p);
    // tcpdump reports "listening on IFACE" on stderr once the capture is armed.
    for (let i = 0; i < 200 && !/listening on/.test(p.stderr); i++) {
      if (p.child.exitCode !== null) throw new Error(`tcpdump failed: ${p.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    if (!/listening on/.test(p.stderr)) throw new Error(`tcpdump did not start: ${p.stderr}`);
    return {
      file,
      stop: async () => {
        p.kill('SIGINT');
        await p.exited;
        this.captures.delete(p);
        return file;
      },
    };
  }

  /** conntrack -F in the nat namespace: every NAT mapping is forgotten. */
  async flushConntrack(): Promise<void> {
    await this.exec('nat', ['conntrack', '-F'], { allowFail: false });
  }

  /** Kill every process in the namespaces, delete them, remove the pcap folder. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const n of Object.values(this.ns)) n?.destroySync();
    if (process.env.ESPRIT_KEEP_PCAP !== '1') rmSync(this.tmp, { recursive: true, force: true });
  }

  /** Namespace names of this lab. */
  get names(): string[] {
    return Object.values(this.ns)
      .filter((n): n is Netns => n !== undefined)
      .map((n) => n.name);
  }
}

function runWithInput(argv: readonly string[], input: string): Promise<void> {
  const [bin, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = execFile(bin ?? '', args, { encoding: 'utf8' }, (err, _out, stderr) => {
      if (err) reject(new Error(`${argv.join(' ')}: ${stderr || err.message}`));
      else resolve();
    });
    child.stdin?.end(input);
  });
}

function onPath(tool: string): boolean {
  if (tool.startsWith('/')) return existsSync(tool);
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    try {
      accessSync(join(d, tool), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/**
 * Check that this run can build namespaces: root, and each tool on PATH (an absolute path is
 * checked for existence, e.g. '/dev/net/tun'). Returns undefined when all is there, else a
 * skip reason. In CI (`CI=true`) it throws instead: a skipped system test is a defect there.
 */
export function requireSystem(tools: readonly string[]): string | undefined {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root');
  for (const t of tools) if (!onPath(t)) missing.push(t);
  if (missing.length === 0) return undefined;
  const reason = `netns test needs ${missing.join(', ')}`;
  if (process.env.CI === 'true') throw new Error(`${reason} (CI=true: failing instead of skipping)`);
  return reason;
}
