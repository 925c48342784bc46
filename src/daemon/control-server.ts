/**
 * The control socket of `esprit ipsecd`: newline-delimited JSON (src/wire/control), one
 * response line per request line, in order. A malformed line gets an `{"ok":false}` answer;
 * an over-long line closes the connection (the stream cannot be resynchronised).
 */
import { listenUnixStream, type UnixConnection, type UnixStreamServer } from '../io/unix-stream-server.js';
import { WireError } from '../util/errors.js';
import { type Logger, nullLogger } from '../util/logger.js';
import {
  CONTROL_MAX_REQUEST,
  type ControlRequest,
  type ControlResponse,
  decodeControlRequest,
  encodeControlLine,
  type StatusReport,
  splitControlLines,
} from '../wire/control/control-message.js';

export interface ControlServerOptions {
  readonly path: string;
  readonly mode?: number;
  readonly logger?: Logger;
  /** may wait (a sealing thread's counters are fetched first) */
  readonly status: () => StatusReport | Promise<StatusReport>;
  /** write-queue bound per connection; a status of 100k SAs is tens of MB (default 256 MiB) */
  readonly maxQueuedBytes?: number;
}

export interface ControlServer {
  readonly path: string;
  readonly connections: number;
  readonly drops: number;
  readonly requests: number;
  close(): Promise<void>;
}

export async function startControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const log = opts.logger ?? nullLogger;
  let requests = 0;

  async function answer(req: ControlRequest): Promise<ControlResponse> {
    switch (req.cmd) {
      case 'status':
        return { ok: true, status: await opts.status() };
    }
  }

  async function respond(line: string): Promise<ControlResponse> {
    try {
      return await answer(decodeControlRequest(line));
    } catch (e) {
      if (!(e instanceof WireError)) log.log('error', 'ctl', `request failed: ${(e as Error).stack ?? String(e)}`);
      return { ok: false, error: (e as Error).message };
    }
  }

  function onConnection(conn: UnixConnection): void {
    let rest = new Uint8Array(0);
    let dead = false;
    /** answers leave in the order of the requests, one at a time */
    let queue: Promise<void> = Promise.resolve();
    conn.onData((chunk) => {
      if (dead) return;
      const buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
      let split: ReturnType<typeof splitControlLines>;
      try {
        split = splitControlLines(buf, CONTROL_MAX_REQUEST);
      } catch (e) {
        dead = true;
        log.log('warn', 'ctl', `conn#${conn.id}: closing: ${(e as Error).message}`);
        conn.write(encodeControlLine({ ok: false, error: (e as Error).message }));
        conn.close();
        return;
      }
      rest = split.rest.slice();
      for (const line of split.lines) {
        if (line.trim() === '') continue;
        requests++;
        queue = queue.then(async () => {
          const res = await respond(line);
          if (!conn.write(encodeControlLine(res)))
            log.log('warn', 'ctl', `conn#${conn.id}: response dropped (client does not read)`);
        });
      }
    });
  }

  const server: UnixStreamServer = await listenUnixStream({
    path: opts.path,
    mode: opts.mode ?? 0o600,
    maxQueuedBytes: opts.maxQueuedBytes ?? 256 << 20,
    onConnection,
  });
  log.log('info', 'ctl', `listening on ${opts.path}`);
  return {
    path: opts.path,
    get connections() {
      return server.connections;
    },
    get drops() {
      return server.drops;
    },
    get requests() {
      return requests;
    },
    close: () => server.close(),
  };
}
