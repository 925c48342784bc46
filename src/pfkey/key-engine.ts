/**
 * The PF_KEY v2 key engine: the "kernel side" of RFC 2367 over the SAD and SPD, sans-IO.
 * Bytes from a client go in, deliveries (message + recipient) come out; the data plane calls
 * the hooks; the daemon calls tick at nextDeadline. docs/pfkey.md "Key engine semantics".
 *
 *   receive(client, bytes) ──decode──> promisc copies ──validate──> handler ──> SAD/SPD
 *        │  any failure: error reply (errno per dialect) to the sender, state unchanged
 *        └──> replies: ONE (sender) | ALL | REGISTERED (+ sender), copies to promiscuous
 *             sockets (Linux af_key pfkey_broadcast; KAME wraps them in X_PROMISC)
 *   tick / onSaUsed / onLifetimeEvent ──> EXPIRE (REGISTERED)
 *   onOutboundNoSa ──> ACQUIRE (REGISTERED, rate-limited), packet held until an SA arrives
 *   onNatMapping   ──> X_NAT_T_NEW_MAPPING (REGISTERED), SAs moved
 *
 * Parts: key-engine-checks.ts (required extensions, satype rules), key-engine-fanout.ts
 * (clients, pfkey_broadcast), key-engine-messages.ts (ACQUIRE, NEW_MAPPING, reply headers),
 * key-engine-sa.ts / key-engine-spd.ts (SA and policy messages <-> SAD / SPD).
 */
import { AcquireTable } from '../sad/acquire.js';
import type { Endpoint, SadEvent, SaEntry } from '../sad/sa-entry.js';
import type { ExpireReason } from '../sad/sa-lifetime.js';
import { Sad } from '../sad/sad.js';
import type { SaRef } from '../sad/sad-requests.js';
import type { PacketTuple } from '../sad/selector.js';
import { type Policy, Spd } from '../sad/spd.js';
import type { Clock } from '../util/clock.js';
import { PfkeyError, WireError } from '../util/errors.js';
import { type Logger, nullLogger } from '../util/logger.js';
import type { Rng } from '../util/rng.js';
import {
  decodePfkeyMessage,
  displayName,
  ERRNO,
  encodePfkeyMessage,
  indexExtensions,
  PF_KEY_V2,
  type PfkeyDialect,
  type PfkeyExtIndex,
  type PfkeyMessage,
  SADB_MSG,
  SADB_SATYPE,
  type SadbMsgHeader,
} from '../wire/pfkey/index.js';
import { translateMessage } from './dialect-translate.js';
import { dialectErrno, errnoName } from './errno-map.js';
import { fail, REQUIRED, requireEsp, satypeFilter } from './key-engine-checks.js';
import { type Build, type Client, type ClientId, type Delivery, Fanout, type Target } from './key-engine-fanout.js';
import { acquireMessage, newMappingMessage, policyMessage, rawHeader, replyHeader } from './key-engine-messages.js';
import { parseGetspi, parseInstall, parseSaRef, saMessage } from './key-engine-sa.js';
import { parsePolicySpec, parseSelector, policyDir } from './key-engine-spd.js';
import { supportedAlgs } from './pfkey-algorithms.js';

export type { ClientId, Delivery } from './key-engine-fanout.js';

export type SadChange =
  | { kind: 'sa-added' | 'sa-updated'; entry: SaEntry; released: readonly Uint8Array[] }
  | { kind: 'sa-removed'; entry: SaEntry }
  | { kind: 'spd-changed' };

export interface KeyEngineOptions {
  /** ms; also the base of LIFETIME_CURRENT add/use times (seconds = floor(ms / 1000)) */
  clock: Clock;
  rng: Rng;
  logger?: Logger;
  larvalTimeoutMs?: number;
  acquire?: { rateLimitMs?: number; expireMs?: number; queueLimit?: number };
  onChange?: (c: SadChange) => void;
}

const E = ERRNO.linux;
const SATYPE_ESP = SADB_SATYPE.ESP;
const REQID_AUTO_MIN = 0x4000;

export class KeyEngine {
  readonly sad: Sad;
  readonly spd: Spd;
  /** per-reason counters for `esprit status` */
  readonly stats: Record<string, number> = {};
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly log: Logger;
  private readonly acquire: AcquireTable;
  private readonly onChange: ((c: SadChange) => void) | undefined;
  private readonly fanout = new Fanout((key) => this.bump(key));
  /** SAs the data plane was told about (mature at some point), by SaEntry.id */
  private readonly announced = new Set<number>();

  constructor(opts: KeyEngineOptions) {
    this.clock = opts.clock;
    this.rng = opts.rng;
    this.log = opts.logger ?? nullLogger;
    this.onChange = opts.onChange;
    this.sad = new Sad({
      clock: opts.clock,
      ...(opts.larvalTimeoutMs !== undefined ? { larvalTimeoutMs: opts.larvalTimeoutMs } : {}),
    });
    this.spd = new Spd();
    this.acquire = new AcquireTable(opts.acquire ?? {});
  }

  /** A new client socket speaking `dialect`. */
  connect(dialect: PfkeyDialect, pid = 0): ClientId {
    return this.fanout.connect(dialect, pid);
  }

  /** The socket closed: it no longer receives anything and its REGISTER/PROMISC state is gone. */
  disconnect(id: ClientId): void {
    this.fanout.disconnect(id);
  }

  dialectOf(id: ClientId): PfkeyDialect {
    const c = this.fanout.get(id);
    if (!c) throw new Error(`assertion failed: no PF_KEY client ${id}`);
    return c.dialect;
  }

  /**
   * One complete message from a client. Never throws; a malformed or invalid message yields
   * an error reply (sadb_msg_errno set, no extensions) to the sender and leaves the SAD and
   * SPD unchanged. Unknown client ids yield nothing.
   */
  receive(id: ClientId, bytes: Uint8Array): Delivery[] {
    const client = this.fanout.get(id);
    const out: Delivery[] = [];
    if (!client) {
      this.bump('rx.unknown-client');
      return out;
    }
    this.bump('rx');
    let msg: PfkeyMessage;
    try {
      msg = decodePfkeyMessage(bytes, client.dialect);
    } catch (e) {
      // Linux pfkey_get_base_msg: a short buffer or sadb_msg_len != its length is EMSGSIZE
      const errno = bytes.length < 16 || (e instanceof WireError && e.path === 'msg.len') ? E.EMSGSIZE : E.EINVAL;
      const detail = e instanceof Error ? e.message : String(e);
      this.reject(out, client, rawHeader(bytes), errno, `malformed: ${detail}`);
      return out;
    }
    this.bump(`rx.${displayName(SADB_MSG, msg.header.type)}`);
    // Linux pfkey_process: every request is first copied to the promiscuous sockets.
    this.fanout.promiscCopies(out, msg, client.dialect);
    try {
      this.dispatch(out, client, msg);
    } catch (e) {
      if (e instanceof PfkeyError) {
        this.reject(out, client, msg.header, e.errno, e.message);
      } else {
        this.reject(out, client, msg.header, E.EINVAL, `internal error: ${e instanceof Error ? e.message : String(e)}`);
        this.bump('internal-error');
      }
    }
    return out;
  }

  /** Time-driven work: soft/hard EXPIRE by addtime/usetime, larval timeouts, ACQUIRE timeouts. */
  tick(): Delivery[] {
    const out: Delivery[] = [];
    const now = this.clock.now();
    for (const ev of this.sad.tick(now)) this.expired(out, ev);
    for (const a of this.acquire.tick(now)) {
      this.bump('acquire.expired');
      if (a.dropped > 0) this.bump('acquire.dropped-timeout', a.dropped);
      this.log.log(
        'info',
        'pfkey',
        `ACQUIRE seq ${a.seq} (policy ${a.policyId}) unanswered; dropped ${a.dropped} held packets`,
      );
    }
    return out;
  }

  nextDeadline(): number | undefined {
    const a = this.sad.nextDeadline();
    const b = this.acquire.nextDeadline();
    if (a === undefined) return b;
    if (b === undefined) return a;
    return Math.min(a, b);
  }

  /**
   * An outbound packet matched an ipsec policy and no SA exists (RFC 4301 §5.1 step 3a):
   * send SADB_ACQUIRE (rate-limited, RFC 2367 §3.1.6) to the registered sockets and hold a
   * copy of the packet (bounded) until an SA arrives (released through onChange).
   */
  onOutboundNoSa(policy: Policy, tuple: PacketTuple, packet: Uint8Array): { deliveries: Delivery[]; held: boolean } {
    const out: Delivery[] = [];
    const st = this.acquire.stats;
    const overflow = st.droppedOverflow;
    const limit = st.droppedLimit;
    const r = this.acquire.onNoSa(policy, tuple, packet, this.clock.now());
    // held packets lost to the queue bound (oldest first) or to the acquire limit: counted for `esprit status`
    if (st.droppedOverflow > overflow) this.bump('acquire.dropped-overflow', st.droppedOverflow - overflow);
    if (st.droppedLimit > limit) this.bump('acquire.dropped-limit', st.droppedLimit - limit);
    if (r.acquire) {
      this.bump(r.acquire.resend ? 'acquire.resent' : 'acquire.sent');
      const req = r.acquire;
      this.send(out, 'registered', undefined, (d) => acquireMessage(req, d));
    }
    return { deliveries: out, held: r.held };
  }

  /** Traffic on an SA: allocation/byte lifetimes; the first use starts usetime (RFC 2367 §2.3.3). */
  onSaUsed(entry: SaEntry, bytes: number, packets: number): Delivery[] {
    const out: Delivery[] = [];
    for (const ev of this.sad.recordUse(entry, bytes, packets, this.clock.now())) this.expired(out, ev);
    return out;
  }

  /**
   * An authenticated, non-replayed ESP packet on the UDP-encapsulated inbound SA `entry` came
   * from a new address/port (RFC 3947 §7, RFC 7296 §2.23): move the SA and the outbound SAs
   * on the reverse path (Sad.updateMapping) and send SADB_X_NAT_T_NEW_MAPPING to the
   * registered sockets. Nothing happens when the endpoint did not change or the move is
   * invalid (logged).
   */
  onNatMapping(entry: SaEntry, to: Endpoint): Delivery[] {
    const out: Delivery[] = [];
    const spi = entry.spi;
    const seq = entry.seq;
    let change: ReturnType<Sad['updateMapping']>;
    try {
      change = this.sad.updateMapping(entry, to, this.clock.now());
    } catch (e) {
      this.bump('new-mapping.refused');
      this.log.log(
        'warn',
        'pfkey',
        `NAT mapping change on SA ${spi} refused: ${e instanceof Error ? e.message : String(e)}`,
      );
      return out;
    }
    if (!change) return out;
    this.bump('new-mapping');
    const c = change;
    this.log.log(
      'info',
      'pfkey',
      `SA ${spi.toString(16)}: peer moved ${c.old.addr.text}:${c.old.port} -> ${c.new.addr.text}:${c.new.port}, ${c.followers.length} outbound SA(s) followed`,
    );
    this.send(out, 'registered', undefined, () => newMappingMessage(spi, seq, c));
    this.changed({ kind: 'sa-updated', entry: c.sa, released: [] });
    for (const f of c.followers) this.changed({ kind: 'sa-updated', entry: f.entry, released: [] });
    if (c.conflicts.length > 0) this.bump('new-mapping.conflicts');
    return out;
  }

  /** The ESP engine reached a byte/packet lifetime of `entry` itself. */
  onLifetimeEvent(entry: SaEntry, which: 'soft' | 'hard'): Delivery[] {
    const out: Delivery[] = [];
    const reason: ExpireReason = 'bytes';
    const ev = this.sad.expire(entry, which, reason);
    if (ev) this.expired(out, ev);
    return out;
  }

  // ---- dispatch ---------------------------------------------------------------------------

  private dispatch(out: Delivery[], c: Client, msg: PfkeyMessage): undefined {
    const h = msg.header;
    const ix = indexExtensions(msg);
    const dup = ix.duplicates[0];
    // RFC 2367 §2.3 / Linux parse_exthdrs: each extension type at most once.
    if (dup) fail(E.EINVAL, `duplicate ${dup} extension`);
    if (ix.unknown.length > 0) {
      // Linux parse_exthdrs skips types above SADB_EXT_MAX: ignored, counted.
      this.bump('ignored-ext', ix.unknown.length);
      this.log.log('debug', 'pfkey', `ignoring extension type(s) ${ix.unknown.map((u) => u.type).join(', ')}`);
    }
    for (const name of REQUIRED[h.type] ?? []) if (!ix.byName[name]) fail(E.EINVAL, `${name} missing`);
    switch (h.type) {
      case SADB_MSG.GETSPI:
        this.getspi(out, c, h, ix);
        return;
      case SADB_MSG.UPDATE:
        this.update(out, c, h, ix);
        return;
      case SADB_MSG.ADD:
        this.add(out, c, h, ix);
        return;
      case SADB_MSG.DELETE:
        this.delete(out, c, h, ix);
        return;
      case SADB_MSG.GET:
        this.get(out, c, h, ix);
        return;
      case SADB_MSG.ACQUIRE:
        this.acquireReply(msg);
        return;
      case SADB_MSG.REGISTER:
        this.register(out, c, h);
        return;
      case SADB_MSG.FLUSH:
        this.flush(out, c, h);
        return;
      case SADB_MSG.DUMP:
        this.dump(out, c, h);
        return;
      case SADB_MSG.X_PROMISC:
        this.promisc(out, c, msg);
        return;
      case SADB_MSG.X_SPDADD:
      case SADB_MSG.X_SPDUPDATE:
        this.spdAdd(out, c, h, ix);
        return;
      case SADB_MSG.X_SPDDELETE:
        this.spdDelete(out, c, h, ix);
        return;
      case SADB_MSG.X_SPDGET:
      case SADB_MSG.X_SPDDELETE2:
        this.spdGet(out, c, h, ix);
        return;
      case SADB_MSG.X_SPDDUMP:
        this.spdDump(out, c, h);
        return;
      case SADB_MSG.X_SPDFLUSH:
        this.spdFlush(out, c, h);
        return;
      case SADB_MSG.EXPIRE:
      case SADB_MSG.X_PCHANGE:
      case SADB_MSG.X_SPDACQUIRE:
      case SADB_MSG.X_SPDSETIDX:
      case SADB_MSG.X_SPDEXPIRE:
      case SADB_MSG.X_NAT_T_NEW_MAPPING:
      case SADB_MSG.X_MIGRATE:
        // Linux pfkey_funcs[] has no handler (or esprit implements none): EOPNOTSUPP
        return fail(E.EOPNOTSUPP, `${displayName(SADB_MSG, h.type)} is not accepted from clients`);
      default:
        // Linux pfkey_get_base_msg: type 0 or > SADB_MAX is EINVAL
        fail(E.EINVAL, `sadb_msg_type ${h.type} is not a PF_KEY message type`);
    }
  }

  private getspi(out: Delivery[], c: Client, h: SadbMsgHeader, ix: PfkeyExtIndex): void {
    requireEsp(c.dialect, h.satype);
    const p = parseGetspi(ix, c.dialect, c.id, h.seq);
    const e = this.sad.getspi(p, this.rng);
    // Linux pfkey_getspi: the larval SA, to the sender only.
    this.send(out, 'one', c, (d) => saMessage(e, d, replyHeader(h, SATYPE_ESP), { keys: false, limits: 'both' }));
  }

  /** Resolve an SA reference; a NAT-T dport that names no SA (a larval SA, a port change) is retried without it. */
  private resolve(ix: PfkeyExtIndex, c: Client): { ref: SaRef; entry: SaEntry } {
    const withPort = parseSaRef(ix, c.dialect, true);
    if (withPort.dport !== undefined) {
      try {
        return { ref: withPort, entry: this.sad.get(withPort) };
      } catch (e) {
        if (!(e instanceof PfkeyError) || e.errno !== E.ESRCH) throw e;
      }
    }
    const ref = parseSaRef(ix, c.dialect, false);
    return { ref, entry: this.sad.get(ref) };
  }

  private update(out: Delivery[], c: Client, h: SadbMsgHeader, ix: PfkeyExtIndex): void {
    requireEsp(c.dialect, h.satype);
    const { ref, entry } = this.resolve(ix, c);
    const larval = entry.state === 'larval';
    const inst = parseInstall(ix, c.dialect, larval ? { larval: entry } : { mature: entry });
    const e = this.sad.update({
      ...ref,
      owner: c.id,
      ...(inst.cfg ? { cfg: inst.cfg } : {}),
      ...(inst.lifetime ? { lifetime: inst.lifetime } : {}),
      ...(inst.reqid !== undefined ? { reqid: inst.reqid } : {}),
      flags: inst.flags,
    });
    this.installed(e, larval ? 'sa-added' : 'sa-updated');
    // Linux key_notify_sa: to all sockets. Without keys (RFC 2367 §3.1.2; KAME; Linux sends them).
    this.send(out, 'all', undefined, (d) =>
      saMessage(e, d, replyHeader(h, SATYPE_ESP), { keys: false, limits: 'both' }),
    );
  }

  private add(out: Delivery[], c: Client, h: SadbMsgHeader, ix: PfkeyExtIndex): void {
    requireEsp(c.dialect, h.satype);
    const inst = parseInstall(ix, c.dialect, {});
    if (!inst.cfg) fail(E.EINVAL, 'ADD needs algorithms and keys');
    const e = this.sad.add({
      cfg: inst.cfg,
      flags: inst.flags,
      seq: h.seq,
      ...(inst.lifetime ? { lifetime: inst.lifetime } : {}),
      ...(inst.reqid !== undefined ? { reqid: inst.reqid } : {}),
    });
    this.installed(e, 'sa-added');
    this.send(out, 'all', undefined, (d) =>
      saMessage(e, d, replyHeader(h, SATYPE_ESP), { keys: false, limits: 'both' }),
    );
  }

  private delete(out: Delivery[], c: Client, h: SadbMsgHeader, ix: PfkeyExtIndex): void {
    requireEsp(c.dialect, h.satype);
    const { ref } = this.resolve(ix, c);
    const e = this.sad.delete(ref);
    this.removed(e);
    this.send(out, 'all', undefined, (d) =>
      saMessage(e, d, replyHeader(h, SATYPE_ESP), { keys: false, limits: 'both' }),
    );
  }

  private get(out: Delivery[], c: Client, h: SadbMsgHeader, ix: PfkeyExtIndex): void {
    requireEsp(c.dialect, h.satype);
    const { entry } = this.resolve(ix, c);
    this.send(out, 'one', c, (d) => saMessage(entry, d, replyHeader(h, SATYPE_ESP), { keys: true, limits: 'both' }));
  }

  /** An ACQUIRE from a key manager: with an errno it reports a failed negotiation (Linux pfkey_acquire). */
  private acquireReply(msg: PfkeyMessage): void {
    if (msg.extensions.length > 0) fail(E.EOPNOTSUPP, 'ACQUIRE from a client carries no extensions');
    const h = msg.header;
    if (h.seq === 0 || h.errno === 0) return;
    const dropped = this.acquire.fail(h.seq);
    this.bump('acquire.failed');
    if (dropped > 0) this.bump('acquire.dropped-failed', dropped);
    this.log.log('info', 'pfkey', `ACQUIRE seq ${h.seq} failed (errno ${h.errno}); dropped ${dropped} held packets`);
  }

  private register(out: Delivery[], c: Client, h: SadbMsgHeader): void {
    if (h.satype !== SADB_SATYPE.UNSPEC) {
      requireEsp(c.dialect, h.satype);
      // Linux pfkey_register: a second REGISTER for the same satype is EEXIST.
      if (c.registered.has(h.satype)) fail(E.EEXIST, `already registered for ${displayName(SADB_SATYPE, h.satype)}`);
      c.registered.add(h.satype);
    }
    // RFC 2367 §3.1.7: SUPPORTED to the sender and every registered socket.
    this.send(out, 'registered', c, (d) => {
      const algs = supportedAlgs(d);
      return {
        header: { ...h, errno: 0 },
        extensions: [
          { ext: 'SUPPORTED_AUTH', algs: algs.auth },
          { ext: 'SUPPORTED_ENCRYPT', algs: algs.encrypt },
        ],
      };
    });
  }

  private flush(out: Delivery[], c: Client, h: SadbMsgHeader): void {
    const f = satypeFilter(c.dialect, h.satype);
    const gone = f === 'none' ? [] : this.sad.flush(f === 'esp' ? 'esp' : undefined);
    for (const e of gone) this.removed(e);
    const hdr: SadbMsgHeader = { ...h, errno: 0 };
    // Linux pfkey_flush: broadcast to all when something was flushed, else the sender only.
    this.send(out, gone.length > 0 ? 'all' : 'one', gone.length > 0 ? undefined : c, () => ({
      header: hdr,
      extensions: [],
    }));
  }

  private dump(out: Delivery[], c: Client, h: SadbMsgHeader): void {
    const f = satypeFilter(c.dialect, h.satype);
    const list = f === 'none' ? [] : this.sad.dump(f === 'esp' ? 'esp' : undefined);
    if (list.length === 0) fail(E.ENOENT, 'DUMP: no SAs');
    // one message per SA to the sender, sadb_msg_seq counting down to 0 on the last (KAME key_dump)
    list.forEach((e, i) => {
      const hdr = { ...replyHeader(h, SATYPE_ESP), type: SADB_MSG.DUMP, seq: list.length - 1 - i };
      this.send(out, 'one', c, (d) => saMessage(e, d, hdr, { keys: true, limits: 'both' }));
    });
  }

  private promisc(out: Delivery[], c: Client, msg: PfkeyMessage): void {
    const h = msg.header;
    if (msg.embedded === undefined) {
      // Linux pfkey_promisc: satype 1 = on, 0 = off
      if (h.satype !== 0 && h.satype !== 1) fail(E.EINVAL, `X_PROMISC satype ${h.satype} is not 0 or 1`);
      c.promisc = h.satype === 1;
      const hdr = { ...h, errno: 0 };
      this.send(out, 'all', undefined, () => ({ header: hdr, extensions: [] }));
      return;
    }
    // RFC 2367 Appendix A: a wrapped message is passed to every socket as is.
    const from = c.dialect;
    const embedded = msg.embedded;
    this.send(out, 'all', undefined, (d) => {
      if (d === from) return msg;
      const inner = decodePfkeyMessage(embedded, from);
      return { header: h, extensions: [], embedded: encodePfkeyMessage(translateMessage(inner, from, d), d) };
    });
  }

  private spdAdd(out: Delivery[], c: Client, h: SadbMsgHeader, ix: PfkeyExtIndex): void {
    const spec = parsePolicySpec(ix, c.dialect, this.reqidGenerator());
    const p = h.type === SADB_MSG.X_SPDUPDATE ? this.spd.update(spec) : this.spd.add(spec);
    this.changed({ kind: 'spd-changed' });
    // Linux key_notify_policy: to all, type and seq/pid of the request, satype 0.
    this.send(out, 'all', undefined, () => policyMessage(p, { ...replyHeader(h, 0), type: h.type }));
  }

  private spdDelete(out: Delivery[], c: Client, h: SadbMsgHeader, ix: PfkeyExtIndex): void {
    const pol = ix.byName.X_POLICY;
    if (!pol) fail(E.EINVAL, 'X_POLICY missing');
    const dir = policyDir(c.dialect, pol.dir);
    const p = this.spd.delete(parseSelector(ix), dir);
    this.changed({ kind: 'spd-changed' });
    this.send(out, 'all', undefined, () => policyMessage(p, { ...replyHeader(h, 0), type: SADB_MSG.X_SPDDELETE }));
  }

  private spdGet(out: Delivery[], c: Client, h: SadbMsgHeader, ix: PfkeyExtIndex): void {
    const pol = ix.byName.X_POLICY;
    if (!pol) fail(E.EINVAL, 'X_POLICY missing');
    if (h.type === SADB_MSG.X_SPDDELETE2) {
      const p = this.spd.deleteById(pol.id);
      this.changed({ kind: 'spd-changed' });
      this.send(out, 'all', undefined, () => policyMessage(p, { ...replyHeader(h, 0), type: SADB_MSG.X_SPDDELETE2 }));
      return;
    }
    const p = this.spd.getById(pol.id);
    this.send(out, 'one', c, () => policyMessage(p, { ...replyHeader(h, 0), type: SADB_MSG.X_SPDGET }));
  }

  private spdDump(out: Delivery[], c: Client, h: SadbMsgHeader): void {
    const list = this.spd.dump();
    if (list.length === 0) fail(E.ENOENT, 'SPDDUMP: no policies');
    list.forEach((p, i) => {
      const hdr = { ...replyHeader(h, 0), type: SADB_MSG.X_SPDDUMP, seq: list.length - 1 - i };
      this.send(out, 'one', c, () => policyMessage(p, hdr));
    });
  }

  private spdFlush(out: Delivery[], c: Client, h: SadbMsgHeader): void {
    const gone = this.spd.flush();
    if (gone.length > 0) this.changed({ kind: 'spd-changed' });
    const hdr: SadbMsgHeader = { ...h, errno: 0, satype: 0 };
    this.send(out, gone.length > 0 ? 'all' : 'one', gone.length > 0 ? undefined : c, () => ({
      header: hdr,
      extensions: [],
    }));
  }

  // ---- helpers ----------------------------------------------------------------------------

  /** Linux gen_reqid: reqids above IPSEC_MANUAL_REQID_MAX not used by any policy. */
  private reqidGenerator(): () => number {
    const used = new Set<number>();
    for (const p of this.spd.dump()) for (const r of p.requests) used.add(r.reqid);
    let next = REQID_AUTO_MIN;
    return () => {
      while (used.has(next)) next++;
      used.add(next);
      return next;
    };
  }

  private installed(e: SaEntry, kind: 'sa-added' | 'sa-updated'): void {
    this.announced.add(e.id);
    const released = this.acquire.onSaAdded(e).map((hp) => hp.packet);
    this.changed({ kind, entry: e, released });
  }

  private removed(e: SaEntry): void {
    if (this.announced.delete(e.id)) this.changed({ kind: 'sa-removed', entry: e });
  }

  private changed(c: SadChange): void {
    if (!this.onChange) return;
    try {
      this.onChange(c);
    } catch (err) {
      this.bump('on-change.threw');
      this.log.log('error', 'pfkey', `onChange threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** A SAD expire event -> SADB_EXPIRE to the registered sockets (Linux key_notify_sa_expire). */
  private expired(out: Delivery[], ev: SadEvent): void {
    const e = ev.entry;
    this.bump(`expire.${ev.which}`);
    this.log.log('info', 'pfkey', `SA ${e.spi.toString(16)} ${ev.which} expire (${ev.reason})`);
    // seq 0, pid 0, no keys, CURRENT plus the limit reached (hsc 2 hard / 1 soft)
    this.send(out, 'registered', undefined, (d) =>
      saMessage(e, d, { type: SADB_MSG.EXPIRE, satype: SATYPE_ESP, seq: 0, pid: 0 }, { keys: false, limits: ev.which }),
    );
    if (ev.which === 'hard') this.removed(e);
    // now dying: data-plane copies of the SAD (a sealing thread's SadReplica) prefer a mature SA
    else if (this.announced.has(e.id)) this.changed({ kind: 'sa-updated', entry: e, released: [] });
  }

  private reject(out: Delivery[], c: Client, h: SadbMsgHeader, linuxErrno: number, detail: string): void {
    const name = errnoName(linuxErrno) ?? 'EINVAL';
    this.bump(`error.${name}`);
    this.log.log('warn', 'pfkey', `client ${c.id} ${displayName(SADB_MSG, h.type)} seq ${h.seq}: ${name}: ${detail}`);
    // Linux pfkey_error: the request header, errno set, no extensions, to the sender only.
    this.send(out, 'one', c, (d) => ({
      header: { ...h, version: PF_KEY_V2, errno: dialectErrno(d, linuxErrno) },
      extensions: [],
    }));
  }

  private send(out: Delivery[], target: Target, one: Client | undefined, build: Build): void {
    this.fanout.send(out, target, one, build);
  }

  private bump(key: string, n = 1): void {
    this.stats[key] = (this.stats[key] ?? 0) + n;
  }
}
