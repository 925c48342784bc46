import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { AddressInUseError } from './errors.js';

/**
 * A local stream server (the PF_KEY channel between the key engine and IKE, the control
 * socket): a Unix socket on Linux, a named pipe (`\\.\pipe\NAME`) on Windows through the
 * same node:net API. Each connection has a bounded write queue: when a client does not
 * read, writes to it are dropped and counted (as PF_KEY broadcasts drop with ENOBUFS,
 * RFC 2367 §3.1.7 leaves delivery best-effort) so a slow client never blocks the others.
 *
 * Framing is the caller's: `onData` sees stream chunks as they arrive (PF_KEY messages carry
 * their length in sadb_msg_len). Node has no Unix datagram sockets; a local datagram channel
 * is this stream server plus that framing.
 *
 * Windows (documented, not tested here): pass a pipe path; the stale-file removal and mode
 * are skipped (a pipe disappears with its server; restrict access with the pipe's default ACL).
 */

export interface UnixConnection {
  /** Sequence number of the connection (1, 2, ...). */
  readonly id: number;
  /** Receive chunks (set once; chunks arriving before are buffered by the stream). */
  onData(cb: (chunk: Uint8Array) => void): void;
  /** Called once when the connection ends (either side). */
  onClose(cb: () => void): void;
  /**
   * Queue bytes for the peer. Returns false, and counts a drop, when the queue would exceed
   * `maxQueuedBytes` or the connection is closed; nothing is ever partially queued.
   */
  write(bytes: Uint8Array): boolean;
  /** Close after flushing what is queued. */
  close(): void;
  /** Bytes queued and not yet taken by the kernel. */
  readonly queuedBytes: number;
  readonly drops: number;
  readonly closed: boolean;
}

export interface UnixStreamServerOptions {
  /** Socket path (Linux) or pipe name (Windows). */
  readonly path: string;
  /** File mode of the socket (default 0o600: only the owner may connect). */
  readonly mode?: number;
  /** Per-connection write-queue bound in bytes (default 1 MiB). */
  readonly maxQueuedBytes?: number;
  readonly onConnection: (conn: UnixConnection) => void;
}

export interface UnixStreamServer {
  readonly path: string;
  readonly connections: number;
  /** Writes dropped over all connections, including closed ones. */
  readonly drops: number;
  /** Stop listening, close every connection, remove the socket file. */
  close(): Promise<void>;
}

const isWindows = process.platform === 'win32';

class Connection implements UnixConnection {
  drops = 0;
  closed = false;
  private dataCb: ((chunk: Uint8Array) => void) | undefined;
  private closeCb: (() => void) | undefined;

  constructor(
    readonly id: number,
    private readonly sock: net.Socket,
    private readonly max: number,
    private readonly onDrop: () => void,
  ) {
    sock.on('data', (chunk: Buffer) => this.dataCb?.(chunk));
    sock.on('error', () => {
      // ECONNRESET/EPIPE from a vanished client: 'close' follows.
    });
    sock.on('close', () => {
      this.closed = true;
      this.closeCb?.();
    });
    sock.pause();
  }

  onData(cb: (chunk: Uint8Array) => void): void {
    this.dataCb = cb;
    this.sock.resume();
  }

  onClose(cb: () => void): void {
    this.closeCb = cb;
    if (this.closed) cb();
  }

  get queuedBytes(): number {
    return this.sock.writableLength;
  }

  write(bytes: Uint8Array): boolean {
    if (this.closed || this.sock.writableEnded || this.sock.writableLength + bytes.length > this.max) {
      this.drops++;
      this.onDrop();
      return false;
    }
    // Copy: the caller may reuse its buffer, and the bytes can sit in the queue.
    this.sock.write(Buffer.from(bytes));
    return true;
  }

  close(): void {
    if (!this.sock.writableEnded) this.sock.end();
  }

  destroy(): void {
    this.sock.destroy();
  }
}

/** Remove `path` if it is a socket nobody serves; throw AddressInUseError if a server answers. */
async function removeStale(path: string): Promise<void> {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new AddressInUseError(path);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new AddressInUseError(path);
  unlinkSync(path);
}

/**
 * Listen on `path`. A stale socket file from a crashed run is removed first; a live server or a
 * non-socket file at `path` gives AddressInUseError. The socket is created with `mode` already
 * in force (umask around bind) and chmod'ed again after.
 */
export async function listenUnixStream(opts: UnixStreamServerOptions): Promise<UnixStreamServer> {
  const mode = opts.mode ?? 0o600;
  const max = opts.maxQueuedBytes ?? 1 << 20;
  if (!isWindows) await removeStale(opts.path);
  const conns = new Set<Connection>();
  let nextId = 1;
  let drops = 0;
  const server = net.createServer((sock) => {
    const c = new Connection(nextId++, sock, max, () => {
      drops++;
    });
    conns.add(c);
    sock.on('close', () => conns.delete(c));
    opts.onConnection(c);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // bind() runs synchronously inside listen(): the umask covers exactly the socket's creation.
    const old = isWindows ? 0 : process.umask(~mode & 0o777);
    try {
      server.listen(opts.path, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      if (!isWindows) process.umask(old);
    }
  });
  if (!isWindows) chmodSync(opts.path, mode);
  let closing: Promise<void> | undefined;
  return {
    path: opts.path,
    get connections() {
      return conns.size;
    },
    get drops() {
      return drops;
    },
    close(): Promise<void> {
      if (!closing) {
        closing = new Promise((resolve) => {
          server.close(() => resolve());
          for (const c of conns) c.destroy();
        });
      }
      return closing;
    },
  };
}
