/**
 * `esprit setkey`: a drop-in for KAME / ipsec-tools setkey(8) that talks to `esprit ipsecd`
 * over its PF_KEY stream socket instead of socket(PF_KEY, ...).
 *
 *   esprit setkey [--socket PATH] [--dialect linux|kame] [-c] [-f FILE] [-D] [-DP] [-F] [-FP]
 *                 [-p] [-x] [--json]
 *
 * Semantics follow setkey.c: each command gets one request and waits for its reply; an error
 * reply prints `The result of line N: <strerror>.` (with -f; without the prefix otherwise) and
 * the run goes on; the exit code is 1 if any command failed. Dumps print like pfkey_dump.c.
 */

import { readFileSync } from 'node:fs';
import {
  formatSadEntry,
  formatSadJson,
  formatSpdDump,
  formatSpdJson,
  type SadDumpEntry,
  type SpdDumpEntry,
} from '../../config/setkey/dump.js';
import { sadEntryFromPfkey, spdEntryFromPfkey } from '../../config/setkey/from-pfkey.js';
import { parseSetkey } from '../../config/setkey/parser.js';
import {
  bareMessage,
  type MessageIds,
  saIdMessage,
  satypeNumber,
  setkeyToPfkey,
} from '../../config/setkey/to-pfkey.js';
import type { DeleteAllCommand, SetkeyCommand } from '../../config/setkey/types.js';
import { PfkeyStreamClient } from '../../daemon/pfkey-stream-client.js';
import { IpsecError } from '../../util/errors.js';
import { toHex } from '../../util/hex.js';
import {
  decodePfkeyMessage,
  displayName,
  ERRNO,
  type ErrnoName,
  nameOf,
  type PfkeyDialect,
  type PfkeyMessage,
  SADB_MSG,
  SADB_SATYPE,
} from '../../wire/pfkey/index.js';
import { runDirPaths, takeRunDir } from '../run-dir.js';

export const DEFAULT_PFKEY_SOCKET =
  process.platform === 'win32' ? '\\\\.\\pipe\\esprit-pfkey' : '/run/esprit/pfkey.sock';

const USAGE = `usage: esprit setkey [--socket PATH] [--dialect linux|kame] [--json] [-p] -f FILE
       esprit setkey [options] -c            (commands from stdin)
       esprit setkey [options] -D | -DP      (dump the SAD / SPD)
       esprit setkey [options] -F | -FP      (flush the SAD / SPD)
       esprit setkey [options] -x            (print every PF_KEY message until SIGINT)
  --socket PATH   ipsecd's PF_KEY socket (default ${DEFAULT_PFKEY_SOCKET})
  --run-dir DIR   the host's run directory: the socket is DIR/pfkey.sock
  --dialect D     linux (default) or kame: must match the socket's dialect`;

/** glibc strerror texts for the errno values a key engine sends (setkey prints strerror). */
const STRERROR: Readonly<Record<ErrnoName, string>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EINTR: 'Interrupted system call',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EINVAL: 'Invalid argument',
  EMSGSIZE: 'Message too long',
  EPROTONOSUPPORT: 'Protocol not supported',
  EOPNOTSUPP: 'Operation not supported',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  ENOBUFS: 'No buffer space available',
};

/**
 * The text setkey.c postproc prints for an error reply: ENOENT is "No entry" for
 * DELETE/GET/X_SPDDELETE, "No SAD entries" for DUMP, "No SPD entries" for X_SPDDUMP.
 */
export function setkeyErrorText(msg: PfkeyMessage, dialect: PfkeyDialect): string {
  const { errno, type } = msg.header;
  const name = nameOf(ERRNO[dialect], errno);
  if (name === 'ENOENT') {
    if (type === SADB_MSG.DELETE || type === SADB_MSG.GET || type === SADB_MSG.X_SPDDELETE) return 'No entry';
    if (type === SADB_MSG.DUMP) return 'No SAD entries';
    if (type === SADB_MSG.X_SPDDUMP) return 'No SPD entries';
  }
  return name ? STRERROR[name] : `Unknown error ${errno}`;
}

interface Options {
  socket: string;
  dialect: PfkeyDialect;
  json: boolean;
  withPorts: boolean;
  mode: 'script' | 'stdin' | 'dump' | 'flush' | 'promisc' | undefined;
  policy: boolean;
  file: string | undefined;
}

function parseArgs(argvIn: string[]): Options | string {
  const rd = takeRunDir(argvIn);
  if ('error' in rd) return rd.error;
  const argv = rd.rest;
  const o: Options = {
    socket: rd.dir !== undefined ? runDirPaths(rd.dir).pfkey : DEFAULT_PFKEY_SOCKET,
    dialect: 'linux',
    json: false,
    withPorts: false,
    mode: undefined,
    policy: false,
    file: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string | undefined => argv[++i];
    if (a === '--socket') {
      const v = value();
      if (!v) return '--socket needs a path';
      o.socket = v;
    } else if (a === '--dialect') {
      const v = value();
      if (v !== 'linux' && v !== 'kame') return '--dialect must be linux or kame';
      o.dialect = v;
    } else if (a === '--json') o.json = true;
    else if (a === '-f') {
      const v = value();
      if (!v) return '-f needs a file name';
      o.mode = 'script';
      o.file = v;
    } else if (/^-[cDFPpx]+$/.test(a)) {
      // getopt-style clusters: -DP, -FP, -Dp ...
      for (const ch of a.slice(1)) {
        if (ch === 'c') o.mode = 'stdin';
        else if (ch === 'D') o.mode = 'dump';
        else if (ch === 'F') o.mode = 'flush';
        else if (ch === 'x') o.mode = 'promisc';
        else if (ch === 'P') o.policy = true;
        else if (ch === 'p') o.withPorts = true;
      }
    } else return `unknown option ${JSON.stringify(a)}`;
  }
  if (!o.mode) return 'one of -c, -f, -D, -F, -x is required';
  return o;
}

class Session {
  private seq = 1;
  failures = 0;
  readonly pid = process.pid;

  constructor(
    readonly client: PfkeyStreamClient,
    readonly o: Options,
    readonly out: (s: string) => void,
  ) {}

  ids(): MessageIds {
    const seq = this.seq;
    this.seq = (this.seq + 1) >>> 0 || 1;
    return { seq, pid: this.pid };
  }

  /** Print an error reply as setkey.c postproc does; returns false for an error. */
  check(reply: PfkeyMessage, line: number | undefined): boolean {
    if (reply.header.errno === 0) return true;
    // an empty SAD/SPD answers a dump with ENOENT: printed, but not a failed command
    const t = reply.header.type;
    const empty =
      (t === SADB_MSG.DUMP || t === SADB_MSG.X_SPDDUMP) && reply.header.errno === ERRNO[this.o.dialect].ENOENT;
    if (!empty) this.failures++;
    const prefix = line !== undefined ? `The result of line ${line}: ` : '';
    this.out(`${prefix}${setkeyErrorText(reply, this.o.dialect)}.\n`);
    return false;
  }

  now(): number {
    return Math.floor(Date.now() / 1000);
  }

  async dumpSad(satype: number, line: number | undefined, print: boolean): Promise<SadDumpEntry[]> {
    const replies = await this.client.dump(bareMessage('DUMP', satype, this.ids()));
    const last = replies[replies.length - 1];
    if (last && last.header.errno !== 0) {
      if (print && !this.o.json) this.check(last, line);
      else if (print) this.out(formatSadJson([]));
      return [];
    }
    const entries: SadDumpEntry[] = [];
    for (const m of replies) {
      try {
        const e = sadEntryFromPfkey(m, this.o.dialect);
        if (e.state !== 'dead') entries.push(e);
      } catch (e) {
        this.failures++;
        process.stderr.write(`esprit setkey: cannot show an SA: ${(e as Error).message}\n`);
      }
    }
    if (print) {
      if (this.o.json) this.out(formatSadJson(entries));
      else for (const e of entries) this.out(formatSadEntry(e, { now: this.now(), withPorts: this.o.withPorts }));
    }
    return entries;
  }

  async dumpSpd(line: number | undefined): Promise<void> {
    const replies = await this.client.dump(bareMessage('X_SPDDUMP', SADB_SATYPE.UNSPEC, this.ids()));
    const last = replies[replies.length - 1];
    if (last && last.header.errno !== 0) {
      if (this.o.json) this.out(formatSpdJson([]));
      else this.check(last, line);
      return;
    }
    const entries: SpdDumpEntry[] = [];
    for (const m of replies) {
      try {
        entries.push(spdEntryFromPfkey(m));
      } catch (e) {
        this.failures++;
        process.stderr.write(`esprit setkey: cannot show a policy: ${(e as Error).message}\n`);
      }
    }
    if (this.o.json) this.out(formatSpdJson(entries));
    else this.out(formatSpdDump(entries, { now: this.now(), withPorts: this.o.withPorts }));
  }

  /** deleteall: dump the satype and delete each SA between the two addresses (setkey.c sendkeymsg_spigrep). */
  async deleteAll(c: DeleteAllCommand, line: number | undefined): Promise<void> {
    const all = await this.dumpSad(satypeNumber(c.satype), undefined, false);
    for (const e of all) {
      if (e.src.addr.text !== c.src.text || e.dst.addr.text !== c.dst.text) continue;
      const satype = e.natt ? 'esp-udp' : e.satype;
      const src = e.natt ? { addr: e.src.addr, port: e.natt.sport } : { addr: e.src.addr };
      const dst = e.natt ? { addr: e.dst.addr, port: e.natt.dport } : { addr: e.dst.addr };
      const reply = await this.client.request(saIdMessage('DELETE', satype, src, dst, e.spi, this.ids()));
      this.check(reply, line);
    }
  }

  async run(c: SetkeyCommand, scriptLines: boolean): Promise<void> {
    const line = scriptLines ? c.line : undefined;
    if (c.op === 'deleteall') return this.deleteAll(c, line);
    if (c.op === 'dump') {
      await this.dumpSad(satypeNumber(c.satype), line, true);
      return;
    }
    if (c.op === 'spddump') return this.dumpSpd(line);
    const msg = setkeyToPfkey(c, this.o.dialect, this.ids());
    if (!msg) return;
    const reply = await this.client.request(msg);
    if (!this.check(reply, line)) return;
    if (c.op === 'get') {
      const e = sadEntryFromPfkey(reply, this.o.dialect);
      this.out(this.o.json ? formatSadJson([e]) : formatSadEntry(e, { now: this.now(), withPorts: this.o.withPorts }));
    }
  }
}

/** One line per message for -x (setkey prints kdebug_sadb; this is a compact equivalent). */
export function describePfkeyMessage(m: PfkeyMessage): string {
  const h = m.header;
  const parts = [
    `sadb_msg{ type=${displayName(SADB_MSG, h.type)} errno=${h.errno} satype=${h.satype} seq=${h.seq} pid=${h.pid} }`,
  ];
  for (const e of m.extensions) parts.push(`  ${JSON.stringify(e, (_k, v) => jsonSafe(v))}`);
  return `${parts.join('\n')}\n`;
}

function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return toHex(v);
  return v;
}

async function promisc(s: Session): Promise<number> {
  const { client, o } = s;
  client.onUnsolicited((m) => {
    let inner = m;
    // X_PROMISC copies wrap the original message (RFC 2367 Appendix A); setkey.c strips the header
    if (m.header.type === SADB_MSG.X_PROMISC && m.embedded) {
      try {
        inner = decodePfkeyMessage(m.embedded, o.dialect);
      } catch (e) {
        s.out(`(undecodable X_PROMISC copy: ${(e as Error).message})\n`);
        return;
      }
    } else if (m.header.type === SADB_MSG.X_PROMISC) return;
    if (o.json)
      s.out(`${JSON.stringify({ time: new Date().toISOString(), message: inner }, (_k, v) => jsonSafe(v))}\n`);
    else s.out(`${new Date().toISOString()}\n${describePfkeyMessage(inner)}\n`);
  });
  const ack = await client.request(bareMessage('X_PROMISC', 1, s.ids()));
  if (!s.check(ack, undefined)) return 1;
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const o = parseArgs(argv);
  if (typeof o === 'string') {
    console.error(`esprit setkey: ${o}\n${USAGE}`);
    return 2;
  }
  let commands: SetkeyCommand[] = [];
  if (o.mode === 'script' || o.mode === 'stdin') {
    const file = o.file ?? '(stdin)';
    let text: string;
    try {
      text = o.file !== undefined ? readFileSync(o.file, 'utf8') : await readStdin();
    } catch (e) {
      console.error(`esprit setkey: ${file}: ${(e as Error).message}`);
      return 1;
    }
    try {
      commands = parseSetkey(text, file);
    } catch (e) {
      if (e instanceof IpsecError) {
        console.error(`esprit setkey: ${e.message}`);
        return 1;
      }
      throw e;
    }
  }
  let client: PfkeyStreamClient;
  try {
    client = await PfkeyStreamClient.connect(o.socket, o.dialect);
  } catch (e) {
    console.error(
      `esprit setkey: cannot connect to ${o.socket}: ${(e as Error).message} (is \`esprit ipsecd\` running?)`,
    );
    return 1;
  }
  client.onDecodeError = (e) => process.stderr.write(`esprit setkey: undecodable message: ${(e as Error).message}\n`);
  const s = new Session(client, o, (t) => process.stdout.write(t));
  try {
    switch (o.mode) {
      case 'promisc':
        return await promisc(s);
      case 'dump':
        if (o.policy) await s.dumpSpd(undefined);
        else await s.dumpSad(SADB_SATYPE.UNSPEC, undefined, true);
        break;
      case 'flush': {
        const reply = await client.request(bareMessage(o.policy ? 'X_SPDFLUSH' : 'FLUSH', SADB_SATYPE.UNSPEC, s.ids()));
        s.check(reply, undefined);
        break;
      }
      default:
        for (const c of commands) await s.run(c, o.mode === 'script');
    }
  } catch (e) {
    console.error(`esprit setkey: ${(e as Error).message}`);
    return 1;
  } finally {
    await client.close();
  }
  return s.failures > 0 ? 1 : 0;
}
