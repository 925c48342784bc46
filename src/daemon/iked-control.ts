/**
 * The IKE daemon's control socket (default /run/esprit/iked.sock): newline-delimited JSON,
 * one request per line. `up` answers when the CHILD SA is installed or the attempt failed;
 * `monitor` turns the connection into a stream of event lines. Format: docs/ikev2.md.
 */
import type { IkeEvent } from '../ike/ike-events.js';
import { listenUnixStream, type UnixConnection } from '../io/unix-stream-server.js';
import type { Logger } from '../util/logger.js';

export const IKED_CONTROL_MAX_LINE = 64 * 1024;

export type IkedRequest =
  | { cmd: 'up'; conn: string; child?: string }
  | { cmd: 'down'; conn: string }
  | { cmd: 'list-sas' }
  | { cmd: 'list-conns' }
  | { cmd: 'reload' }
  | { cmd: 'monitor' };

export function decodeIkedRequest(line: string): IkedRequest {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new Error('request is not JSON');
  }
  if (typeof v !== 'object' || v === null) throw new Error('request is not an object');
  const r = v as Record<string, unknown>;
  const str = (k: string): string => {
    const x = r[k];
    if (typeof x !== 'string' || x.length === 0 || x.length > 256) throw new Error(`${k} must be a non-empty string`);
    return x;
  };
  switch (r.cmd) {
    case 'up':
      return r.child === undefined
        ? { cmd: 'up', conn: str('conn') }
        : { cmd: 'up', conn: str('conn'), child: str('child') };
    case 'down':
      return { cmd: 'down', conn: str('conn') };
    case 'list-sas':
    case 'list-conns':
    case 'reload':
    case 'monitor':
      return { cmd: r.cmd };
    default:
      throw new Error(`unknown command ${JSON.stringify(r.cmd)}`);
  }
}

export interface IkedControlOptions {
  path: string;
  logger: Logger;
  up(conn: string, child?: string): Promise<{ ok: boolean; reason: string }>;
  down(conn: string): number;
  listSas(): unknown[];
  listConns(): unknown[];
  reload(): { ok: boolean; errors: string[] } | Promise<{ ok: boolean; errors: string[] }>;
  /** subscribe; returns the unsubscribe function */
  monitor(cb: (e: IkeEvent) => void): () => void;
}

export interface IkedControl {
  readonly path: string;
  close(): Promise<void>;
}

const line = (v: unknown): Uint8Array => Buffer.from(`${JSON.stringify(v)}\n`);

export async function startIkedControl(o: IkedControlOptions): Promise<IkedControl> {
  function onConnection(conn: UnixConnection): void {
    let rest = '';
    let unsubscribe: (() => void) | undefined;
    conn.onClose(() => unsubscribe?.());
    conn.onData((chunk) => {
      rest += Buffer.from(chunk).toString('utf8');
      if (rest.length > IKED_CONTROL_MAX_LINE && !rest.includes('\n')) {
        conn.write(line({ ok: false, error: 'request line too long' }));
        conn.close();
        return;
      }
      let nl = rest.indexOf('\n');
      while (nl >= 0) {
        const text = rest.slice(0, nl).trim();
        rest = rest.slice(nl + 1);
        nl = rest.indexOf('\n');
        if (text.length === 0) continue;
        let req: IkedRequest;
        try {
          req = decodeIkedRequest(text);
        } catch (e) {
          conn.write(line({ ok: false, error: (e as Error).message }));
          continue;
        }
        switch (req.cmd) {
          case 'up':
            void o.up(req.conn, req.child).then((r) => conn.write(line(r)));
            break;
          case 'down':
            conn.write(line({ ok: true, count: o.down(req.conn) }));
            break;
          case 'list-sas':
            conn.write(line({ ok: true, sas: o.listSas() }));
            break;
          case 'list-conns':
            conn.write(line({ ok: true, conns: o.listConns() }));
            break;
          case 'reload':
            void Promise.resolve(o.reload()).then((r) => conn.write(line(r)));
            break;
          case 'monitor':
            conn.write(line({ ok: true, monitoring: true }));
            unsubscribe ??= o.monitor((e) => conn.write(line({ event: e })));
            break;
        }
      }
    });
  }
  const server = await listenUnixStream({ path: o.path, onConnection, maxQueuedBytes: 16 * 1024 * 1024 });
  return { path: server.path, close: () => server.close() };
}
