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
 */
import { type AcquireRequest, AcquireTable } from '../sad/acquire.js';
import type { ExpireReason } from '../sad/sa-lifetime.js';
import { type Endpoint, Sad, type SadEvent, type SaEntry, type SaRef } from '../sad/sad.js';
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
  IPSEC_DIR,
  IPSEC_POLICY,
  indexExtensions,
  PF_KEY_V2,
  type PfkeyDialect,
  type PfkeyExt,
  type PfkeyExtIndex,
  type PfkeyMessage,
  SADB_MSG,
  SADB_SATYPE,
  type SadbMsgHeader,
} from '../wire/pfkey/index.js';
import { translateMessage } from './dialect-translate.js';
import { dialectErrno, errnoName } from './errno-map.js';
import { addressExt, parseGetspi, parseInstall, parseSaRef, saMessage } from './key-engine-sa.js';
import { parsePolicySpec, parseSelector, policyDir, policyExtensions } from './key-engine-spd.js';
import { proposalCombs, supportedAlgs } from './pfkey-algorithms.js';

export type ClientId = number;

/** One message for one client; `message` already uses the recipient's dialect names. */
export interface Delivery {
  readonly to: ClientId;
  readonly message: PfkeyMessage;
}

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

interface Client {
  readonly id: ClientId;
  readonly dialect: PfkeyDialect;
  readonly pid: number;
  /** satypes this socket registered for (SADB_REGISTER) */
  readonly registered: Set<number>;
  promisc: boolean;
}

/** Linux af_key pfkey_broadcast targets. */
type Target = 'one' | 'all' | 'registered';
type Build = (dialect: PfkeyDialect) => PfkeyMessage;

const E = ERRNO.linux;
const SATYPE_ESP = SADB_SATYPE.ESP;
/** PF_KEY satypes esprit knows but does not implement: EOPNOTSUPP rather than EINVAL. */
const UNSUPPORTED_SATYPES = new Set<number>([
  SADB_SATYPE.AH,
  SADB_SATYPE.X_IPCOMP,
  SADB_SATYPE.RSVP,
  SADB_SATYPE.OSPFV2,
  SADB_SATYPE.RIPV2,
  SADB_SATYPE.MIP,
]);
const KAME_ONLY_SATYPES = new Set<number>([SADB_SATYPE.X_TCPSIGNATURE]);
const REQID_AUTO_MIN = 0x4000;

function fail(errno: number, detail: string): never {
  throw new PfkeyError(errno, detail);
}

/** Required extensions per request type (RFC 2367 §3.1 as Linux af_key enforces them). */
const REQUIRED: Partial<Record<number, readonly (keyof PfkeyExtIndex['byName'])[]>> = {
  [SADB_MSG.GETSPI]: ['ADDRESS_SRC', 'ADDRESS_DST'],
  [SADB_MSG.UPDATE]: ['SA', 'ADDRESS_SRC', 'ADDRESS_DST'],
  [SADB_MSG.ADD]: ['SA', 'ADDRESS_SRC', 'ADDRESS_DST'],
  [SADB_MSG.DELETE]: ['SA', 'ADDRESS_SRC', 'ADDRESS_DST'],
  [SADB_MSG.GET]: ['SA', 'ADDRESS_SRC', 'ADDRESS_DST'],
  [SADB_MSG.X_SPDADD]: ['ADDRESS_SRC', 'ADDRESS_DST', 'X_POLICY'],
  [SADB_MSG.X_SPDUPDATE]: ['ADDRESS_SRC', 'ADDRESS_DST', 'X_POLICY'],
  [SADB_MSG.X_SPDDELETE]: ['ADDRESS_SRC', 'ADDRESS_DST', 'X_POLICY'],
  [SADB_MSG.X_SPDGET]: ['X_POLICY'],
  [SADB_MSG.X_SPDDELETE2]: ['X_POLICY'],
};

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
  private readonly clients = new Map<ClientId, Client>();
  /** SAs the data plane was told about (mature at some point), by SaEntry.id */
  private readonly announced = new Set<number>();
  private nextClient = 1;

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
    const id = this.nextClient++;
    this.clients.set(id, { id, dialect, pid, registered: new Set(), promisc: false });
    return id;
  }

  /** The socket closed: it no longer receives anything and its REGISTER/PROMISC state is gone. */
  disconnect(id: ClientId): void {
    this.clients.delete(id);
  }

  dialectOf(id: ClientId): PfkeyDialect {
    const c = this.clients.get(id);
    if (!c) throw new Error(`assertion failed: no PF_KEY client ${id}`);
    return c.dialect;
  }

  /**
   * One complete message from a client. Never throws; a malformed or invalid message yields
   * an error reply (sadb_msg_errno set, no extensions) to the sender and leaves the SAD and
   * SPD unchanged. Unknown client ids yield nothing.
   */
  receive(id: ClientId, bytes: Uint8Array): Delivery[] {
    const client = this.clients.get(id);
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
    this.promiscCopies(out, msg, client.dialect);
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
    const r = this.acquire.onNoSa(policy, tuple, packet, this.clock.now());
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
    this.send(out, 'registered', undefined, () => ({
      // Linux pfkey_send_new_mapping: HDR | SA | ADDRESS_SRC (old) | NAT_T_SPORT (old) |
      // ADDRESS_DST (new) | NAT_T_DPORT (new); seq = the SA's, pid 0. X_SA2 added (strongSwan needs its reqid).
      header: { version: PF_KEY_V2, type: SADB_MSG.X_NAT_T_NEW_MAPPING, errno: 0, satype: SATYPE_ESP, seq, pid: 0 },
      extensions: [
        { ext: 'SA', spi, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
        addressExt('ADDRESS_SRC', c.old.addr),
        { ext: 'X_NAT_T_SPORT', port: c.old.port },
        addressExt('ADDRESS_DST', c.new.addr),
        { ext: 'X_NAT_T_DPORT', port: c.new.port },
        {
          ext: 'X_SA2',
          mode: c.sa.mode === 'tunnel' ? 2 : c.sa.mode === 'transport' ? 1 : 0,
          sequence: 0,
          reqid: c.sa.reqid,
        },
      ],
    }));
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

  /** ESP only: AH, IPCOMP (and the other RFC 2367 types) EOPNOTSUPP, unknown values EINVAL. */
  private requireEsp(c: Client, satype: number): void {
    if (satype === SATYPE_ESP) return;
    if (UNSUPPORTED_SATYPES.has(satype) || (c.dialect === 'kame' && KAME_ONLY_SATYPES.has(satype))) {
      fail(E.EOPNOTSUPP, `satype ${displayName(SADB_SATYPE, satype)}: esprit implements ESP only`);
    }
    fail(E.EINVAL, `satype ${satype} is not an SA type`);
  }

  private getspi(out: Delivery[], c: Client, h: SadbMsgHeader, ix: PfkeyExtIndex): void {
    this.requireEsp(c, h.satype);
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
    this.requireEsp(c, h.satype);
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
    this.requireEsp(c, h.satype);
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
    this.requireEsp(c, h.satype);
    const { ref } = this.resolve(ix, c);
    const e = this.sad.delete(ref);
    this.removed(e);
    this.send(out, 'all', undefined, (d) =>
      saMessage(e, d, replyHeader(h, SATYPE_ESP), { keys: false, limits: 'both' }),
    );
  }

  private get(out: Delivery[], c: Client, h: SadbMsgHeader, ix: PfkeyExtIndex): void {
    this.requireEsp(c, h.satype);
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
    this.log.log('info', 'pfkey', `ACQUIRE seq ${h.seq} failed (errno ${h.errno}); dropped ${dropped} held packets`);
  }

  private register(out: Delivery[], c: Client, h: SadbMsgHeader): void {
    if (h.satype !== SADB_SATYPE.UNSPEC) {
      this.requireEsp(c, h.satype);
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

  /** FLUSH/DUMP satype: UNSPEC = all, ESP = ESP, other known types hold nothing here. */
  private satypeFilter(c: Client, satype: number): 'all' | 'esp' | 'none' {
    if (satype === SADB_SATYPE.UNSPEC) return 'all';
    if (satype === SATYPE_ESP) return 'esp';
    if (UNSUPPORTED_SATYPES.has(satype) || (c.dialect === 'kame' && KAME_ONLY_SATYPES.has(satype))) return 'none';
    fail(E.EINVAL, `satype ${satype} is not an SA type`);
  }

  private flush(out: Delivery[], c: Client, h: SadbMsgHeader): void {
    const f = this.satypeFilter(c, h.satype);
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
    const f = this.satypeFilter(c, h.satype);
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

  /** Linux pfkey_process: a copy of every request to each promiscuous socket, in its dialect. */
  private promiscCopies(out: Delivery[], msg: PfkeyMessage, from: PfkeyDialect): void {
    for (const p of this.clients.values()) {
      if (!p.promisc) continue;
      this.deliver(out, p, () => translateMessage(msg, from, p.dialect), true);
    }
  }

  /**
   * Linux af_key pfkey_broadcast: every promiscuous socket gets a copy (KAME: wrapped in an
   * X_PROMISC header), then ALL / REGISTERED sockets other than `one`, then `one` itself.
   */
  private send(out: Delivery[], target: Target, one: Client | undefined, build: Build): void {
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
      if (target === 'all' || (target === 'registered' && c.registered.has(SATYPE_ESP))) {
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
      this.bump('undeliverable');
      return;
    }
    out.push({ to: c.id, message: m });
  }

  private bump(key: string, n = 1): void {
    this.stats[key] = (this.stats[key] ?? 0) + n;
  }
}

/** The reply header: version, type, seq and pid of the request (RFC 2367 §3.1; Linux copies them). */
function replyHeader(h: SadbMsgHeader, satype: number): { type: number; satype: number; seq: number; pid: number } {
  return { type: h.type, satype, seq: h.seq, pid: h.pid };
}

function policyMessage(p: Policy, h: { type: number; satype: number; seq: number; pid: number }): PfkeyMessage {
  return {
    header: { version: PF_KEY_V2, type: h.type, errno: 0, satype: h.satype, seq: h.seq, pid: h.pid },
    extensions: policyExtensions(p),
  };
}

/** Whatever header fields a message too broken to decode still has (zeros past its end). */
function rawHeader(b: Uint8Array): SadbMsgHeader {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u8 = (o: number) => (o < b.length ? (b[o] as number) : 0);
  const u32 = (o: number) => (o + 4 <= b.length ? v.getUint32(o, true) : 0);
  return { version: PF_KEY_V2, type: u8(1), errno: 0, satype: u8(3), seq: u32(8), pid: u32(12) };
}

/**
 * SADB_ACQUIRE (RFC 2367 §3.1.6; Linux pfkey_send_acquire): ADDRESS_SRC/DST = the SA's
 * endpoints, X_POLICY (type IPSEC, dir OUTBOUND, the policy's id and priority), PROPOSAL
 * (replay 32). KAME also gets X_SA2 (mode, reqid), as KAME key_acquire sends it.
 */
function acquireMessage(req: AcquireRequest, d: PfkeyDialect): PfkeyMessage {
  const ext: PfkeyExt[] = [addressExt('ADDRESS_SRC', req.src), addressExt('ADDRESS_DST', req.dst)];
  if (d === 'kame') ext.push({ ext: 'X_SA2', mode: req.mode === 'tunnel' ? 2 : 1, sequence: 0, reqid: req.reqid });
  ext.push(
    {
      ext: 'X_POLICY',
      policyType: IPSEC_POLICY.IPSEC,
      dir: IPSEC_DIR.OUTBOUND,
      id: req.policy.id,
      priority: req.policy.priority,
      requests: [],
    },
    { ext: 'PROPOSAL', replay: 32, combs: proposalCombs(d) },
  );
  return {
    header: { version: PF_KEY_V2, type: SADB_MSG.ACQUIRE, errno: 0, satype: SATYPE_ESP, seq: req.seq, pid: 0 },
    extensions: ext,
  };
}
