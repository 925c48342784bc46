/**
 * Serves a PF_KEY key engine on local stream sockets (docs/pfkey.md "Serving it").
 *
 *   client A ──┐  /run/esprit/pfkey.sock (linux)   ┌── split by sadb_msg_len ──┐
 *   client B ──┼─────────────────────────────────  │  engine.receive(id, msg)  │──> Delivery[]
 *   client C ──┘  /run/esprit/pfkey-kame.sock      └────────────────────────────┘     │
 *        ^                                                                              │
 *        └──── encodePfkeyMessage(msg, recipient's dialect) <── bounded queue ─────────┘
 *
 * Each socket has a dialect; each connection is one engine client (`engine.connect`), created
 * on its first message so that its pid is that message's sadb_msg_pid (Node exposes no
 * SO_PEERCRED); a first message with pid 0 gets a synthetic pid from a counter. Replies to the
 * connection that sent the request are never dropped while they fit a per-connection backlog
 * (a 100k-SA DUMP is paced to the reader, as Linux pfkey_do_dump); copies for other clients
 * (broadcasts, promiscuous copies, EXPIRE/ACQUIRE from the timer) are best-effort: when the
 * recipient's write queue is full they are dropped and counted (RFC 2367 §3.1.7 leaves
 * delivery best-effort; Linux pfkey_broadcast_one gives ENOBUFS). A bad length or an oversized
 * message closes only that connection.
 *
 * One real timer follows engine.nextDeadline() and calls engine.tick() — unless `ownTimer` is
 * false: then the daemon runs one timer for the key engine and the data plane, calls
 * engine.tick() itself and hands the deliveries to `deliver()` (as it does with the data
 * plane's ACQUIRE/EXPIRE/NEW_MAPPING deliveries); `onActivity` tells it to re-arm.
 */
import { listenUnixStream, type UnixConnection, type UnixStreamServer } from '../io/unix-stream-server.js';
import type { Clock } from '../util/clock.js';
import { WireError } from '../util/errors.js';
import { type Logger, nullLogger } from '../util/logger.js';
import {
  displayName,
  encodePfkeyMessage,
  PFKEY_MAX_MESSAGE,
  type PfkeyDialect,
  type PfkeyMessage,
  SADB_MSG,
  splitPfkeyStream,
} from '../wire/pfkey/index.js';

/** One message for one engine client, named in that client's dialect (pfkey/key-engine.ts). */
export interface PfkeyDelivery {
  readonly to: number;
  readonly message: PfkeyMessage;
}

/** What the server needs of the key engine (the KeyEngine class of src/pfkey/key-engine.ts). */
export interface PfkeyEngineLike {
  connect(dialect: PfkeyDialect, pid?: number): number;
  disconnect(id: number): void;
  receive(id: number, bytes: Uint8Array): readonly PfkeyDelivery[];
  tick(): readonly PfkeyDelivery[];
  nextDeadline(): number | undefined;
  readonly stats: Readonly<Record<string, number>>;
}

export interface PfkeySocketSpec {
  readonly path: string;
  readonly dialect: PfkeyDialect;
  /** file mode of the socket, default 0o600 */
  readonly mode?: number;
}

export interface PfkeyServerOptions {
  readonly engine: PfkeyEngineLike;
  /** the engine's clock (the timer converts its deadlines to a delay) */
  readonly clock: Clock;
  readonly sockets: readonly PfkeySocketSpec[];
  readonly logger?: Logger;
  /** largest accepted message in bytes (default 64 KiB, PFKEY_MAX_MESSAGE) */
  readonly maxMessage?: number;
  /** per-connection kernel-side write queue bound in bytes (default 1 MiB) */
  readonly maxQueuedBytes?: number;
  /** per-connection bound for replies to its own requests waiting for the reader (default 256 MiB) */
  readonly maxBacklogBytes?: number;
  /** run the engine's timer here (default true); false: the daemon calls engine.tick() */
  readonly ownTimer?: boolean;
  /** after each batch of messages from a client and each disconnect (deadlines may have moved) */
  readonly onActivity?: () => void;
}

export interface PfkeyConnectionStatus {
  readonly conn: number;
  readonly path: string;
  readonly dialect: PfkeyDialect;
  /** engine client id, undefined before the first message */
  readonly client: number | undefined;
  readonly pid: number | undefined;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly drops: number;
  readonly backlogBytes: number;
}

export interface PfkeySocketStatus {
  readonly path: string;
  readonly dialect: PfkeyDialect;
  readonly connections: number;
  readonly drops: number;
}

/** Totals over all connections, closed ones included. */
export interface PfkeyServerCounters {
  readonly connectionsOpened: number;
  readonly connectionsClosed: number;
  /** open now */
  readonly connections: number;
  readonly messagesIn: number;
  readonly bytesIn: number;
  readonly messagesOut: number;
  readonly bytesOut: number;
  /** messages to a client whose write queue was full (best-effort copies) */
  readonly drops: number;
  /** replies parked in a requester's backlog until it read (never dropped below maxBacklogBytes) */
  readonly backlogged: number;
  /** connections closed for a bad sadb_msg_len */
  readonly framingErrors: number;
  readonly encodeErrors: number;
  /** exceptions out of the engine (a bug: it must not throw) */
  readonly engineErrors: number;
  /** deliveries to a client that had gone */
  readonly undeliverable: number;
  readonly ticks: number;
}

export interface PfkeyServer {
  readonly sockets: readonly PfkeySocketStatus[];
  readonly connections: readonly PfkeyConnectionStatus[];
  readonly counters: PfkeyServerCounters;
  /**
   * Send messages the engine produced outside a request (data-plane hooks, a tick run by the
   * daemon): best-effort, as broadcasts (dropped and counted for a client that does not read).
   */
  deliver(deliveries: readonly PfkeyDelivery[]): void;
  /** Stop listening, close every connection, remove the socket files, stop the timer. */
  close(): Promise<void>;
}

/** First synthetic pid for clients whose first message carries sadb_msg_pid 0. */
const SYNTHETIC_PID_BASE = 0x40000000;
const FLUSH_POLL_MS = 2;

interface Peer {
  readonly conn: UnixConnection;
  readonly sock: SocketState;
  client: number | undefined;
  pid: number | undefined;
  rest: Uint8Array;
  backlog: Uint8Array[];
  head: number;
  backlogBytes: number;
  flushTimer: ReturnType<typeof setTimeout> | undefined;
  messagesIn: number;
  messagesOut: number;
  drops: number;
  warnedDrop: boolean;
  dead: boolean;
}

interface SocketState {
  readonly spec: PfkeySocketSpec;
  server: UnixStreamServer | undefined;
  drops: number;
}

const EMPTY = new Uint8Array(0);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Listen on every socket of `opts.sockets`; rejects (and closes what was opened) when one fails. */
export async function startPfkeyServer(opts: PfkeyServerOptions): Promise<PfkeyServer> {
  const { engine, clock } = opts;
  const log = opts.logger ?? nullLogger;
  const maxMessage = opts.maxMessage ?? PFKEY_MAX_MESSAGE;
  const maxQueued = opts.maxQueuedBytes ?? 1 << 20;
  const maxBacklog = opts.maxBacklogBytes ?? 256 << 20;
  const counters = {
    connectionsOpened: 0,
    connectionsClosed: 0,
    messagesIn: 0,
    bytesIn: 0,
    messagesOut: 0,
    bytesOut: 0,
    drops: 0,
    backlogged: 0,
    framingErrors: 0,
    encodeErrors: 0,
    engineErrors: 0,
    undeliverable: 0,
    ticks: 0,
  };
  const peers = new Set<Peer>();
  const byClient = new Map<number, Peer>();
  const sockets: SocketState[] = opts.sockets.map((spec) => ({ spec, server: undefined, drops: 0 }));
  let nextSyntheticPid = SYNTHETIC_PID_BASE;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let armedFor: number | undefined;
  let closing = false;

  const tag = (p: Peer) => `conn#${p.conn.id} ${p.sock.spec.path}${p.pid === undefined ? '' : ` pid=${p.pid}`}`;

  function drop(p: Peer): void {
    p.drops++;
    p.sock.drops++;
    counters.drops++;
    if (!p.warnedDrop) {
      p.warnedDrop = true;
      log.log('warn', 'pfkey', `${tag(p)}: client does not read, dropping messages to it (counted)`);
    }
  }

  function writeNow(p: Peer, bytes: Uint8Array): void {
    p.conn.write(bytes);
    p.messagesOut++;
    counters.messagesOut++;
    counters.bytesOut += bytes.length;
  }

  function flush(p: Peer): void {
    p.flushTimer = undefined;
    if (p.dead || p.conn.closed) return;
    while (p.head < p.backlog.length) {
      const b = p.backlog[p.head] as Uint8Array;
      if (p.conn.queuedBytes + b.length > maxQueued) break;
      writeNow(p, b);
      p.backlogBytes -= b.length;
      p.head++;
    }
    if (p.head === p.backlog.length) {
      p.backlog = [];
      p.head = 0;
      p.backlogBytes = 0;
    } else {
      p.flushTimer = setTimeout(() => flush(p), FLUSH_POLL_MS);
    }
  }

  /** reliable: a reply to the connection's own request (kept in the backlog rather than dropped). */
  function send(p: Peer, bytes: Uint8Array, reliable: boolean): void {
    if (p.dead || p.conn.closed) return;
    if (p.head === p.backlog.length && p.conn.queuedBytes + bytes.length <= maxQueued) {
      writeNow(p, bytes);
      return;
    }
    if (reliable && p.backlogBytes + bytes.length <= maxBacklog) {
      p.backlog.push(bytes);
      p.backlogBytes += bytes.length;
      counters.backlogged++;
      if (p.flushTimer === undefined) p.flushTimer = setTimeout(() => flush(p), FLUSH_POLL_MS);
      return;
    }
    drop(p);
  }

  function dispatch(deliveries: readonly PfkeyDelivery[], sender: number | undefined): void {
    // a broadcast is usually one message object for many recipients: encode once per dialect
    const cache = new Map<PfkeyMessage, Partial<Record<PfkeyDialect, Uint8Array>>>();
    for (const d of deliveries) {
      const p = byClient.get(d.to);
      if (!p) {
        counters.undeliverable++;
        continue;
      }
      const dialect = p.sock.spec.dialect;
      let perDialect = cache.get(d.message);
      if (!perDialect) {
        perDialect = {};
        cache.set(d.message, perDialect);
      }
      let bytes = perDialect[dialect];
      if (!bytes) {
        try {
          bytes = encodePfkeyMessage(d.message, dialect);
        } catch (e) {
          counters.encodeErrors++;
          const t = displayName(SADB_MSG, d.message.header.type);
          log.log('error', 'pfkey', `${tag(p)}: cannot encode ${t} for ${dialect}: ${(e as Error).message}`);
          continue;
        }
        perDialect[dialect] = bytes;
      }
      send(p, bytes, d.to === sender);
    }
  }

  const ownTimer = opts.ownTimer ?? true;

  function arm(): void {
    if (!ownTimer) {
      if (!closing) opts.onActivity?.();
      return;
    }
    if (closing) return;
    const d = engine.nextDeadline();
    if (d === armedFor && (timer !== undefined || d === undefined)) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    armedFor = d;
    if (d === undefined) return;
    const delay = Math.min(Math.max(1, Math.ceil(d - clock.now())), 0x7fffffff);
    timer = setTimeout(fire, delay);
    timer.unref();
  }

  function fire(): void {
    timer = undefined;
    armedFor = undefined;
    counters.ticks++;
    let out: readonly PfkeyDelivery[] = [];
    try {
      out = engine.tick();
    } catch (e) {
      counters.engineErrors++;
      log.log('error', 'pfkey', `engine.tick failed: ${(e as Error).stack ?? String(e)}`);
    }
    dispatch(out, undefined);
    arm();
  }

  function kill(p: Peer, why: string): void {
    if (p.dead) return;
    p.dead = true;
    log.log('warn', 'pfkey', `${tag(p)}: closing connection: ${why}`);
    p.conn.close();
  }

  function onMessage(p: Peer, msg: Uint8Array): void {
    if (p.client === undefined) {
      const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
      const pid = v.getUint32(12, true);
      p.pid = pid !== 0 ? pid : nextSyntheticPid++;
      p.client = engine.connect(p.sock.spec.dialect, p.pid);
      byClient.set(p.client, p);
      log.log('debug', 'pfkey', `${tag(p)}: client ${p.client} (${p.sock.spec.dialect})`);
    }
    p.messagesIn++;
    counters.messagesIn++;
    counters.bytesIn += msg.length;
    let out: readonly PfkeyDelivery[] = [];
    try {
      out = engine.receive(p.client, msg);
    } catch (e) {
      counters.engineErrors++;
      log.log('error', 'pfkey', `${tag(p)}: engine.receive failed: ${(e as Error).stack ?? String(e)}`);
    }
    dispatch(out, p.client);
  }

  function onData(p: Peer, chunk: Uint8Array): void {
    if (p.dead) return;
    const buf = p.rest.length === 0 ? chunk : concat(p.rest, chunk);
    let split: ReturnType<typeof splitPfkeyStream>;
    try {
      split = splitPfkeyStream(buf, maxMessage);
    } catch (e) {
      counters.framingErrors++;
      // the messages before the bad length are lost with the stream: it cannot be resynchronised
      kill(p, e instanceof WireError ? e.message : String(e));
      return;
    }
    // copies: the engine may keep parts (keys) of a message; never pin a whole socket chunk
    p.rest = split.rest.length === 0 ? EMPTY : split.rest.slice();
    for (const m of split.messages) {
      if (p.dead) break;
      onMessage(p, m.slice());
    }
    arm();
  }

  function onClose(p: Peer): void {
    peers.delete(p);
    counters.connectionsClosed++;
    if (p.flushTimer !== undefined) clearTimeout(p.flushTimer);
    p.backlog = [];
    p.dead = true;
    if (p.client !== undefined) {
      byClient.delete(p.client);
      try {
        engine.disconnect(p.client);
      } catch (e) {
        counters.engineErrors++;
        log.log('error', 'pfkey', `engine.disconnect failed: ${String(e)}`);
      }
    }
    if (p.rest.length > 0)
      log.log('info', 'pfkey', `${tag(p)}: closed inside a message (${p.rest.length} bytes discarded)`);
    else log.log('debug', 'pfkey', `${tag(p)}: closed`);
    arm();
  }

  try {
    for (const s of sockets) {
      s.server = await listenUnixStream({
        path: s.spec.path,
        mode: s.spec.mode ?? 0o600,
        maxQueuedBytes: maxQueued,
        onConnection: (conn) => {
          const p: Peer = {
            conn,
            sock: s,
            client: undefined,
            pid: undefined,
            rest: EMPTY,
            backlog: [],
            head: 0,
            backlogBytes: 0,
            flushTimer: undefined,
            messagesIn: 0,
            messagesOut: 0,
            drops: 0,
            warnedDrop: false,
            dead: false,
          };
          peers.add(p);
          counters.connectionsOpened++;
          conn.onClose(() => onClose(p));
          conn.onData((chunk) => onData(p, chunk));
        },
      });
      log.log('info', 'pfkey', `listening on ${s.spec.path} (${s.spec.dialect})`);
    }
  } catch (e) {
    await Promise.all(sockets.map((s) => s.server?.close()));
    throw e;
  }
  arm();

  return {
    get sockets() {
      return sockets.map((s) => ({
        path: s.spec.path,
        dialect: s.spec.dialect,
        connections: s.server?.connections ?? 0,
        drops: s.drops,
      }));
    },
    get connections() {
      return [...peers].map((p) => ({
        conn: p.conn.id,
        path: p.sock.spec.path,
        dialect: p.sock.spec.dialect,
        client: p.client,
        pid: p.pid,
        messagesIn: p.messagesIn,
        messagesOut: p.messagesOut,
        drops: p.drops,
        backlogBytes: p.backlogBytes,
      }));
    },
    get counters() {
      return { ...counters, connections: peers.size };
    },
    deliver(deliveries: readonly PfkeyDelivery[]): void {
      if (deliveries.length !== 0) dispatch(deliveries, undefined);
    },
    async close(): Promise<void> {
      closing = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await Promise.all(sockets.map((s) => s.server?.close()));
    },
  };
}
