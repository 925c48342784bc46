/**
 * Who gets a PF_KEY message: the key engine's client sockets and Linux af_key's
 * pfkey_broadcast rules over them. docs/pfkey.md "Fan-out".
 *
 *   send(target, one, build) ──> promiscuous sockets (copy; KAME: wrapped in X_PROMISC)
 *                            ──> ALL | REGISTERED(ESP) sockets other than `one`
 *                            ──> `one` (the sender) last
 *   each copy built once per dialect; a copy the recipient's dialect cannot encode is counted
 *   (`undeliverable`) and skipped.
 */
import {
  encodePfkeyMessage,
  PF_KEY_V2,
  type PfkeyDialect,
  type PfkeyMessage,
  SADB_MSG,
  SADB_SATYPE,
} from '../wire/pfkey/index.js';
import { translateMessage } from './dialect-translate.js';

export type ClientId = number;

/** One message for one client; `message` already uses the recipient's dialect names. */
export interface Delivery {
  readonly to: ClientId;
  readonly message: PfkeyMessage;
}

/** One PF_KEY socket as the engine sees it. */
export interface Client {
  readonly id: ClientId;
  readonly dialect: PfkeyDialect;
  readonly pid: number;
  /** satypes this socket registered for (SADB_REGISTER) */
  readonly registered: Set<number>;
  promisc: boolean;
}

/** Linux af_key pfkey_broadcast targets: BROADCAST_ONE, BROADCAST_ALL, BROADCAST_REGISTERED. */
export type Target = 'one' | 'all' | 'registered';
/** Builds the message in a recipient's dialect (called at most once per dialect and send). */
export type Build = (dialect: PfkeyDialect) => PfkeyMessage;

export class Fanout {
  private readonly clients = new Map<ClientId, Client>();
  private nextClient = 1;

  /** `count` receives `undeliverable` for every copy that could not be encoded. */
  constructor(private readonly count: (key: string) => void) {}

  connect(dialect: PfkeyDialect, pid: number): ClientId {
    const id = this.nextClient++;
    this.clients.set(id, { id, dialect, pid, registered: new Set(), promisc: false });
    return id;
  }

  disconnect(id: ClientId): void {
    this.clients.delete(id);
  }

  get(id: ClientId): Client | undefined {
    return this.clients.get(id);
  }

  /** Linux pfkey_process: a copy of every request to each promiscuous socket, in its dialect. */
  promiscCopies(out: Delivery[], msg: PfkeyMessage, from: PfkeyDialect): void {
    for (const p of this.clients.values()) {
      if (!p.promisc) continue;
      this.deliver(out, p, () => translateMessage(msg, from, p.dialect), true);
    }
  }

  /**
   * Linux af_key pfkey_broadcast: every promiscuous socket gets a copy (KAME: wrapped in an
   * X_PROMISC header), then ALL / REGISTERED sockets other than `one`, then `one` itself.
   */
  send(out: Delivery[], target: Target, one: Client | undefined, build: Build): void {
    const cache = new Map<PfkeyDialect, PfkeyMessage | undefined>();
    const get = (d: PfkeyDialect) => {
      if (!cache.has(d)) {
        try {
          cache.set(d, build(d));
        } catch {
          cache.set(d, undefined);
        }
      }
      return cache.get(d);
    };
    for (const c of this.clients.values()) {
      if (c.promisc) this.deliver(out, c, () => get(c.dialect), true);
      if (c === one) continue;
      if (target === 'all' || (target === 'registered' && c.registered.has(SADB_SATYPE.ESP))) {
        this.deliver(out, c, () => get(c.dialect), false);
      }
    }
    if (one && this.clients.has(one.id)) this.deliver(out, one, () => get(one.dialect), false);
  }

  /** Append a delivery if the message encodes in the recipient's dialect (else count it). */
  private deliver(out: Delivery[], c: Client, make: () => PfkeyMessage | undefined, promiscCopy: boolean): void {
    let m = make();
    try {
      if (!m) throw new Error('no message');
      if (promiscCopy && c.dialect === 'kame') {
        // KAME key_sendup0: promiscuous copies are prefixed with an X_PROMISC sadb_msg (seq/pid 0)
        m = {
          header: { version: PF_KEY_V2, type: SADB_MSG.X_PROMISC, errno: 0, satype: 0, seq: 0, pid: 0 },
          extensions: [],
          embedded: encodePfkeyMessage(m, c.dialect),
        };
      }
      encodePfkeyMessage(m, c.dialect);
    } catch {
      this.count('undeliverable');
      return;
    }
    out.push({ to: c.id, message: m });
  }
}
