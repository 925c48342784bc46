/**
 * A PF_KEY client over esprit's stream socket (the other end of pfkey-server.ts): what
 * `esprit setkey`, the tests and the benchmark use in place of socket(PF_KEY, SOCK_RAW, 2).
 *
 * Messages are framed by sadb_msg_len (splitPfkeyStream). A reply is matched to its request by
 * (type, seq, pid) as setkey/racoon do; DUMP and X_SPDDUMP replies by (type, pid) until the one
 * with sadb_msg_seq 0 (Linux pfkey_do_dump, setkey.c `while (errno || seq)`) or an error.
 * Everything else (broadcasts, promiscuous copies, EXPIRE, ACQUIRE) goes to `onUnsolicited`.
 */
import net from 'node:net';
import { WireError } from '../util/errors.js';
import {
  decodePfkeyMessage,
  encodePfkeyMessage,
  PFKEY_MAX_MESSAGE,
  type PfkeyDialect,
  type PfkeyMessage,
  splitPfkeyStream,
} from '../wire/pfkey/index.js';

interface Waiter {
  readonly match: (m: PfkeyMessage) => boolean;
  /** returns true when the waiter is satisfied */
  readonly take: (m: PfkeyMessage) => boolean;
  readonly fail: (e: Error) => void;
}

export class PfkeyStreamClient {
  private rest: Uint8Array = new Uint8Array(0);
  private readonly waiters: Waiter[] = [];
  private unsolicited: ((m: PfkeyMessage, raw: Uint8Array) => void) | undefined;
  private closedError: Error | undefined;
  /** messages that failed to decode (logged by the caller through onDecodeError) */
  decodeErrors = 0;
  onDecodeError: ((e: unknown, raw: Uint8Array) => void) | undefined;

  private constructor(
    private readonly sock: net.Socket,
    readonly dialect: PfkeyDialect,
  ) {
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('error', () => {
      // 'close' follows
    });
    sock.on('close', () => this.failAll(new Error('PF_KEY socket closed')));
  }

  /** Connect to a pfkey-server socket (Unix path or Windows pipe name). */
  static connect(path: string, dialect: PfkeyDialect): Promise<PfkeyStreamClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(path);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new PfkeyStreamClient(s, dialect));
      });
      s.once('error', reject);
    });
  }

  /** Messages that are no reply to a pending request. */
  onUnsolicited(cb: (m: PfkeyMessage, raw: Uint8Array) => void): void {
    this.unsolicited = cb;
  }

  /** Encode and send without waiting. Returns false when the socket buffer is above its high-water mark. */
  send(msg: PfkeyMessage): boolean {
    return this.sendRaw(encodePfkeyMessage(msg, this.dialect));
  }

  sendRaw(bytes: Uint8Array): boolean {
    return this.sock.write(bytes);
  }

  /** Resolves when the socket's write buffer has drained. */
  drained(): Promise<void> {
    if (this.sock.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => this.sock.once('drain', () => resolve()));
  }

  /** Send `msg` and wait for its reply (same type, seq and pid). */
  request(msg: PfkeyMessage): Promise<PfkeyMessage> {
    const h = msg.header;
    const p = new Promise<PfkeyMessage>((resolve, reject) => {
      this.waiters.push({
        match: (m) => m.header.type === h.type && m.header.seq === h.seq && m.header.pid === h.pid,
        take: (m) => {
          resolve(m);
          return true;
        },
        fail: reject,
      });
    });
    this.sendOrFail(msg);
    return p;
  }

  /**
   * Send a DUMP / X_SPDDUMP and collect its replies: resolves with every message up to and
   * including the one with seq 0, or with the single error reply (errno set).
   */
  dump(msg: PfkeyMessage): Promise<PfkeyMessage[]> {
    const h = msg.header;
    const out: PfkeyMessage[] = [];
    const p = new Promise<PfkeyMessage[]>((resolve, reject) => {
      this.waiters.push({
        match: (m) => m.header.type === h.type && m.header.pid === h.pid,
        take: (m) => {
          out.push(m);
          if (m.header.errno !== 0 || m.header.seq === 0) {
            resolve(out);
            return true;
          }
          return false;
        },
        fail: reject,
      });
    });
    this.sendOrFail(msg);
    return p;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.sock.destroyed) {
        resolve();
        return;
      }
      this.sock.once('close', () => resolve());
      this.sock.end();
    });
  }

  destroy(): void {
    this.sock.destroy();
  }

  private sendOrFail(msg: PfkeyMessage): void {
    if (this.closedError) {
      this.failAll(this.closedError);
      return;
    }
    this.send(msg);
  }

  private failAll(e: Error): void {
    this.closedError = e;
    for (const w of this.waiters.splice(0)) w.fail(e);
  }

  private onData(chunk: Uint8Array): void {
    const buf = this.rest.length === 0 ? chunk : Buffer.concat([this.rest, chunk]);
    let split: ReturnType<typeof splitPfkeyStream>;
    try {
      split = splitPfkeyStream(buf, PFKEY_MAX_MESSAGE);
    } catch (e) {
      this.failAll(e instanceof WireError ? e : new Error(String(e)));
      this.sock.destroy();
      return;
    }
    this.rest = split.rest.length === 0 ? new Uint8Array(0) : split.rest.slice();
    for (const raw of split.messages) {
      let m: PfkeyMessage;
      try {
        m = decodePfkeyMessage(raw, this.dialect);
      } catch (e) {
        this.decodeErrors++;
        this.onDecodeError?.(e, raw);
        continue;
      }
      const i = this.waiters.findIndex((w) => w.match(m));
      const w = i >= 0 ? this.waiters[i] : undefined;
      if (w) {
        if (w.take(m)) this.waiters.splice(i, 1);
      } else {
        this.unsolicited?.(m, raw);
      }
    }
  }
}
