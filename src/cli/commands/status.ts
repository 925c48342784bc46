/**
 * `esprit status [--control-socket PATH] [--json]`: asks a running ipsecd for its status over
 * the control socket (src/wire/control) and prints a table or the JSON as received.
 */

import net from 'node:net';
import {
  type ControlResponse,
  decodeControlResponse,
  encodeControlLine,
  type StatusReport,
  splitControlLines,
} from '../../wire/control/control-message.js';
import { runDirPaths, takeRunDir } from '../run-dir.js';

export const DEFAULT_CONTROL_SOCKET =
  process.platform === 'win32' ? '\\\\.\\pipe\\esprit-control' : '/run/esprit/control.sock';
/** A status answer may hold many thousands of SAs. */
const MAX_RESPONSE = 512 << 20;

const USAGE = `usage: esprit status [--control-socket PATH | --run-dir DIR] [--json]
  --control-socket PATH   ipsecd's control socket (default ${DEFAULT_CONTROL_SOCKET})
  --run-dir DIR           the host's run directory: the socket is DIR/control.sock
  --json                  print the status as JSON`;

/** Send one request line and read one response line. */
export function controlRequest(path: string, req: { cmd: 'status' }): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    let buf: Uint8Array = new Uint8Array(0);
    let done = false;
    s.once('connect', () => s.write(encodeControlLine(req)));
    s.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      try {
        const { lines } = splitControlLines(buf, MAX_RESPONSE);
        const first = lines[0];
        if (first !== undefined) {
          done = true;
          s.end();
          resolve(decodeControlResponse(first));
        }
      } catch (e) {
        done = true;
        s.destroy();
        reject(e);
      }
    });
    s.once('error', (e) => {
      if (!done) reject(e);
    });
    s.once('close', () => {
      if (!done) reject(new Error('connection closed before a response'));
    });
  });
}

function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(w[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The human-readable status: sockets, SAs, policies, counters. */
export function formatStatus(s: StatusReport): string {
  const out: string[] = [`esprit ipsecd ${s.version}, up ${s.uptimeSeconds} s`];
  const mb = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  if (s.memory) out.push(`memory: rss ${mb(s.memory.rss)}, heap ${mb(s.memory.heapUsed)} of ${mb(s.memory.heapTotal)}`);
  out.push('');
  out.push(
    table(
      ['socket', 'kind', 'dialect', 'conns', 'drops'],
      s.sockets.map((k) => [k.path, k.kind, k.dialect ?? '-', String(k.connections), String(k.drops)]),
    ),
    '',
  );
  out.push(`SAs: ${s.sas.length}`);
  if (s.sas.length > 0) {
    out.push(
      table(
        ['spi', 'src', 'dst', 'state', 'mode', 'reqid', 'enc', 'auth', 'encap', 'bytes', 'packets'],
        s.sas.map((a) => [
          `0x${(a.spi >>> 0).toString(16).padStart(8, '0')}`,
          a.src,
          a.dst,
          a.state,
          a.mode,
          String(a.reqid),
          a.encryption ?? '-',
          a.integrity ?? '-',
          a.encap.type === 'none' ? '-' : `${a.encap.type} ${a.encap.sport}->${a.encap.dport}`,
          a.bytes,
          a.packets,
        ]),
      ),
    );
  }
  out.push('', `policies: ${s.policies.length}`);
  if (s.policies.length > 0) {
    out.push(
      table(
        ['id', 'dir', 'selector', 'action', 'priority', 'requests'],
        s.policies.map((p) => [String(p.id), p.dir, p.selector, p.action, String(p.priority), p.requests.join(' ')]),
      ),
    );
  }
  const d = s.dataplane;
  if (d) {
    const drops = (r: Readonly<Record<string, number>>) =>
      Object.entries(r)
        .filter(([, v]) => v !== 0)
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '-';
    out.push(
      '',
      `data plane: TUN ${d.tun.name} mtu ${d.tun.mtu}${(d.threads ?? 1) > 1 ? `, ${d.threads} threads` : ''}`,
    );
    out.push(
      table(
        ['spi', 'dir', 'mode', 'reqid', 'framing', 'peer (mapping)', 'moved', 'nat', 'packets', 'bytes', 'drops'],
        d.sas.map((a) => [
          `0x${a.spi}`,
          a.direction,
          a.mode,
          String(a.reqid),
          a.framing,
          a.framing === 'none' ? a.peer.address : `${a.peer.address}:${a.peer.port}`,
          a.movedAt ?? '-',
          [a.natKeepalive ? 'keepalive' : '', a.natFloat ? 'float' : ''].filter((x) => x).join(',') || '-',
          String(a.packets),
          String(a.bytes),
          drops(a.drops),
        ]),
      ),
      '',
      table(
        ['listener', 'role', 'rx', 'tx', 'esp in/out', 'ike in/out', 'keepalive in/out', 'drops'],
        d.listeners.map((l) => {
          const c = (k: string) => String(l.counters[k] ?? 0);
          return [
            l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`,
            l.role,
            c('rxPackets'),
            c('txPackets'),
            `${c('espIn')}/${c('espOut')}`,
            `${c('ikeIn')}/${c('ikeOut')}`,
            `${c('keepalivesIn')}/${c('keepalivesOut')}`,
            drops(l.drops),
          ];
        }),
      ),
      '',
      `TUN: rx ${d.tun.counters.rxPackets ?? 0} tx ${d.tun.counters.txPackets ?? 0} tx-drops ${
        (d.tun.counters.txDropAgain ?? 0) + (d.tun.counters.txDropNoBufs ?? 0) + (d.tun.counters.txErrors ?? 0)
      }`,
      `totals: ${Object.entries(d.totals)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
      `drops: ${drops(d.drops)}`,
    );
  }
  out.push('', 'counters:');
  for (const [k, v] of Object.entries(s.counters)) out.push(`  ${k} ${v}`);
  out.push('engine:');
  for (const [k, v] of Object.entries(s.engine)) out.push(`  ${k} ${v}`);
  return `${out.join('\n')}\n`;
}

export async function run(argvIn: string[]): Promise<number> {
  const rd = takeRunDir(argvIn);
  if ('error' in rd) {
    console.error(`esprit status: ${rd.error}\n${USAGE}`);
    return 2;
  }
  const argv = rd.rest;
  let path = rd.dir !== undefined ? runDirPaths(rd.dir).control : DEFAULT_CONTROL_SOCKET;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--control-socket') {
      const v = argv[++i];
      if (!v) {
        console.error(`esprit status: --control-socket needs a path\n${USAGE}`);
        return 2;
      }
      path = v;
    } else if (a === '--json') json = true;
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      return 0;
    } else {
      console.error(`esprit status: unknown option ${JSON.stringify(a)}\n${USAGE}`);
      return 2;
    }
  }
  let res: ControlResponse;
  try {
    res = await controlRequest(path, { cmd: 'status' });
  } catch (e) {
    console.error(`esprit status: ${path}: ${(e as Error).message} (is \`esprit ipsecd\` running?)`);
    return 1;
  }
  if (!res.ok) {
    console.error(`esprit status: ${res.error}`);
    return 1;
  }
  process.stdout.write(json ? `${JSON.stringify(res.status, null, 2)}\n` : formatStatus(res.status));
  return 0;
}
