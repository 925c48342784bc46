/**
 * The sans-IO data plane of `esprit ipsecd` (docs/dataplane.md): packets from the TUN device
 * are matched against the SPD, sealed with their SA and framed; datagrams from the UDP
 * listeners (or raw ESP) are demultiplexed, opened, checked against the inbound policy and
 * written to the TUN. Keys and policies come only from the key engine (DataplaneKeyHooks).
 *
 *   fromTun ──peekIp──SPD 'out'──SA (lookupOutbound)──EspSa.seal──frame──> sink.udpSend / rawSend
 *                                 └─ none: keys.onOutboundNoSa (ACQUIRE, held) ──> sink.pfkey
 *   fromUdp ──demux(role)──┬─ keepalive: counted, absorbed (RFC 3948 §2.3)
 *                          ├─ IKE (marker stripped) ──> sink.toIke
 *                          └─ ESP ──SA (lookupInbound)──EspSa.open──NAT rebinding (natFloat)
 *   fromRawEsp ─────────────────┘      ──inner packet──inbound policy (RFC 4301 §5.2)──> sink.tunWrite
 *   sendIke ──frameIke (marker on non-500 NAT-T ports)──> sink.udpSend
 *   tick ──due NAT-keepalives──> sink.udpSend;  onSadChange: EspSa cache, held packets, keepalives
 *
 * The data path never throws: every dropped packet is counted under one DataplaneDropReason.
 * Time comes from the injected Clock; nothing here touches a socket or a timer.
 */
import type { CryptoBackend } from '../crypto/backend.js';
import { EspSa } from '../esp/esp-sa.js';
import type { SaEntry } from '../sad/sa-entry.js';
import type { Policy } from '../sad/spd.js';
import { demux } from '../udpencap/demux.js';
import { espPrefix, frameIke } from '../udpencap/framing.js';
import { DEFAULT_KEEPALIVE_INTERVAL_MS } from '../udpencap/keepalive.js';
import { readU32 } from '../util/be-bytes.js';
import type { Clock } from '../util/clock.js';
import { type IpAddr, tryParseIp } from '../util/ip-addr.js';
import { type Logger, nullLogger } from '../util/logger.js';
import type { Rng } from '../util/rng.js';
import { AddrCache } from './addr-cache.js';
import type { DataplaneOptions, DataplaneSink, UdpAddress } from './dataplane-options.js';
import type { DataplaneDropReason } from './drop-reasons.js';
import { inboundPolicyAllows } from './inbound-policy.js';
import { sendDueKeepalives, trackKeepalive } from './keepalive-policy.js';
import type { DataplaneKeyHooks, Delivery, SadChange } from './key-hooks.js';
import { type Listener, type ListenerId, listenerFor, listenerForIke, makeListeners, sameBytes } from './listener.js';
import { NatKeepalives } from './nat-keepalives.js';
import { OutboundSaFinder } from './outbound-sa.js';
import { copyTuple, ipTotalLength, newTuple, peekTuple, upperLayer } from './packet-view.js';
import { AMBIGUOUS, hexSpi, InboundIndex, type InState, type OutState, sameCrypto } from './sa-states.js';
import { type DataplaneStatus, type DataplaneTotals, dataplaneStatus, newTotals } from './status.js';
import { rebuildTransport } from './transport-rebuild.js';
import { UsageBatch } from './usage-batch.js';

export type { DataplaneOptions, DataplaneSink, UdpAddress } from './dataplane-options.js';

const MIN_BUFFER = 2048;

export class Dataplane {
  private readonly keys: DataplaneKeyHooks;
  private readonly backend: CryptoBackend;
  private readonly rng: Rng;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly sink: DataplaneSink;
  /** in the order of the options; index = ListenerId */
  readonly listeners: readonly Listener[];
  readonly totals: DataplaneTotals;
  private readonly keepalives: NatKeepalives;
  private readonly outStates = new Map<number, OutState>();
  private readonly inStates = new Map<number, InState>();
  private readonly inIndex: InboundIndex;
  private readonly addrs = new AddrCache();
  /** the outbound SA of a policy (per-policy cache, peers moved by NAT rebinding) */
  private readonly outSa = new OutboundSaFinder();
  private readonly tuple = newTuple();
  /** SAD accounting of the current I/O batch (beginBatch/endBatch) */
  private readonly usage = new UsageBatch((e, b, p) => this.account(e, b, p));
  private out = new Uint8Array(MIN_BUFFER);

  /** @throws ConfigError for a bad listener or local address, or a bad keepalive interval. */
  constructor(opts: DataplaneOptions) {
    this.keys = opts.keys;
    this.backend = opts.backend;
    this.rng = opts.rng;
    this.clock = opts.clock;
    this.logger = opts.logger ?? nullLogger;
    this.sink = opts.sink;
    this.listeners = makeListeners(opts.listeners);
    this.keepalives = new NatKeepalives(opts.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS);
    const local: IpAddr[] = [];
    for (const a of opts.localAddresses ?? []) {
      const ip = tryParseIp(a);
      if (!ip) throw new TypeError(`localAddresses: not an IP address: ${a}`);
      local.push(ip);
    }
    this.inIndex = new InboundIndex(local);
    for (const l of this.listeners) if (!l.wildcard) this.inIndex.addLocal(l.addr);
    this.totals = newTotals();
    for (const e of this.keys.sad.dump()) {
      this.inIndex.add(e);
      this.refreshKeepalive(e);
    }
  }

  // ───────────────────────────── outbound ─────────────────────────────

  /**
   * One IP packet read from the TUN device (borrowed for the call). RFC 4301 §5.1: SPD
   * 'out' lookup; discard and bypass are dropped ('policy-discard', 'no-policy': bypass
   * traffic never reaches the TUN); ipsec goes out on the first request's SA, or triggers
   * an ACQUIRE when there is none.
   */
  fromTun(packet: Uint8Array): void {
    this.totals.tunIn++;
    const tuple = this.tuple;
    const version = peekTuple(packet, tuple);
    if (version === 0) {
      this.drop('bad-packet');
      return;
    }
    const spd = this.keys.spd;
    const policy = spd.lookup('out', tuple);
    if (!policy || policy.action === 'none') {
      this.drop('no-policy');
      return;
    }
    if (policy.action === 'discard') {
      this.drop('policy-discard');
      return;
    }
    const req = policy.requests[0];
    if (!req) {
      this.drop('no-policy');
      return;
    }
    const entry = this.outSa.find(this.keys.sad, policy, req, tuple);
    if (!entry || entry.mode !== req.mode) {
      this.noSa(policy, packet);
      return;
    }
    this.seal(entry, packet, version, tuple.proto);
  }

  /** RFC 4301 §5.1 step 3a: no SA for an ipsec policy: ACQUIRE, maybe hold the packet. */
  private noSa(policy: Policy, packet: Uint8Array): void {
    const r = this.hook(() => this.keys.onOutboundNoSa(policy, copyTuple(this.tuple), packet));
    if (r?.forwarded) return; // the key engine's thread counts it (acquireFrom)
    if (r) this.deliver(r.deliveries);
    if (r?.held) this.totals.held++;
    else this.drop('no-sa');
  }

  private seal(entry: SaEntry, packet: Uint8Array, version: 4 | 6, protocol: number): void {
    const st = this.outState(entry);
    if (!st) {
      this.drop('sa-unusable');
      return;
    }
    if (st.framing !== 'none' && !st.listener) {
      this.drop('no-listener');
      return;
    }
    let payload: Uint8Array;
    let nextHeader: number;
    if (entry.mode === 'tunnel') {
      // RFC 4303 §2.6: the whole inner packet, next header 4 (IPv4) or 41 (IPv6)
      const n = ipTotalLength(packet);
      payload = n === packet.length ? packet : packet.subarray(0, n); // a view only when trimming
      nextHeader = version === 4 ? 4 : 41;
    } else {
      // RFC 4303 §3.1.1 transport mode: the upper-layer payload; the outer IP header is the kernel's
      const ul = upperLayer(packet);
      if (!ul) {
        this.drop('bad-packet');
        return;
      }
      if (ul.fragment) {
        this.drop('fragment');
        return;
      }
      payload = packet.subarray(ul.offset, ul.end);
      nextHeader = protocol;
    }
    const pre = st.prefixLen;
    const need = pre + st.esp.maxSealLength(payload.length);
    let buf = this.out;
    if (buf.length < need) {
      buf = new Uint8Array(Math.max(need, MIN_BUFFER));
      this.out = buf;
    }
    const r = st.esp.seal(nextHeader, payload, pre === 0 ? buf : buf.subarray(pre));
    if (!r.ok) {
      this.drop(r.reason);
      return;
    }
    // udp-encaps-00 §2.1: the 8-byte Non-IKE Marker before ESP (espPrefix)
    if (pre !== 0) buf.fill(0, 0, pre);
    const datagram = buf.subarray(0, pre + r.length);
    let kept: boolean | undefined;
    if (st.framing === 'none') {
      kept = this.sink.rawSend(entry.dst.family, entry.dst.bytes, datagram);
      this.totals.rawOut++;
    } else {
      const l = st.listener as Listener;
      kept = this.sink.udpSend(l.id, st.dstText, st.dport, datagram);
      this.totals.udpOut++;
      l.counters.txPackets++;
      l.counters.txBytes += datagram.length;
      l.counters.espOut++;
      if (st.mapping) this.keepalives.onSent(st.mapping, this.clock.now());
    }
    if (kept === true) this.replaceOut(buf);
    this.totals.espOut++;
    this.used(entry, payload.length, r.lifetime);
  }

  /** The outbound state of an SA, creating its EspSa on first use and re-reading its path after a move. */
  private outState(entry: SaEntry): OutState | undefined {
    let st = this.outStates.get(entry.id);
    if (!st) {
      const esp = this.espFor(entry, 'out');
      if (!esp) return undefined;
      st = {
        entry,
        esp,
        dstRef: undefined,
        encapRef: undefined,
        framing: 'none',
        prefixLen: 0,
        listener: undefined,
        dstText: '',
        dport: 0,
        mapping: undefined,
      };
      this.outStates.set(entry.id, st);
    }
    if (st.dstRef !== entry.dst || st.encapRef !== entry.encap) {
      // read the destination from the SaEntry: it moves on NAT rebinding, cfg does not matter
      const enc = entry.encap;
      st.dstRef = entry.dst;
      st.encapRef = enc;
      st.framing = enc.type;
      st.prefixLen = enc.type === 'none' ? 0 : espPrefix(enc.type).length;
      st.listener = enc.type === 'none' ? undefined : listenerFor(this.listeners, enc.sport, entry.src);
      st.dstText = entry.dst.text;
      st.dport = enc.dport;
      this.refreshKeepalive(entry);
      st.mapping = this.keepalives.forSa(entry.id);
    }
    return st;
  }

  private espFor(entry: SaEntry, dir: 'in' | 'out'): EspSa | undefined {
    const cfg = entry.cfg;
    if (!cfg) return undefined;
    try {
      return new EspSa(cfg, dir, { backend: this.backend, rng: this.rng });
    } catch (e) {
      this.logger.log('warn', 'esp', `SA ${hexSpi(entry.spi)}: unusable: ${(e as Error).message}`);
      return undefined;
    }
  }

  private replaceOut(kept: Uint8Array): void {
    this.totals.retainedBuffers++;
    if (this.out === kept) this.out = new Uint8Array(kept.length);
  }

  // ───────────────────────────── inbound ──────────────────────────────

  /**
   * One UDP datagram read on `listener` from (remoteAddress, remotePort). ESP is decrypted
   * IN PLACE: `payload` is modified. IKE goes to sink.toIke as a view into `payload`.
   */
  fromUdp(listener: ListenerId, remoteAddress: string, remotePort: number, payload: Uint8Array): void {
    const l = this.listeners[listener];
    if (!l) {
      this.drop('no-listener');
      return;
    }
    this.totals.udpIn++;
    const c = l.counters;
    c.rxPackets++;
    c.rxBytes += payload.length;
    const d = demux(l.role, payload, remotePort);
    switch (d.kind) {
      case 'drop':
        this.drop(d.reason, l);
        return;
      case 'keepalive':
        // RFC 3948 §2.3: ignored; RFC 3947 §7: never used to learn a mapping
        c.keepalivesIn++;
        this.totals.keepalivesIn++;
        return;
      case 'ike':
        c.ikeIn++;
        this.totals.ikeIn++;
        this.sink.toIke(l.local, { address: remoteAddress, port: remotePort }, d.ike);
        return;
      case 'esp':
        c.espIn++;
        this.inbound(d.esp, l, l.wildcard ? undefined : l.addr.bytes, l.addr.family, remoteAddress, remotePort);
        return;
    }
  }

  /**
   * One ESP packet received as IP protocol 50 (RFC 4303 §3.4), from `src` to `dst` (the
   * IPv4 header gives it; undefined when unknown, e.g. a raw IPv6 socket). Decrypted in place.
   */
  fromRawEsp(src: Uint8Array, dst: Uint8Array | undefined, esp: Uint8Array): void {
    this.totals.rawIn++;
    if (esp.length <= 8) {
      this.drop('short-esp');
      return;
    }
    const spi = readU32(esp, 0);
    if (spi === 0) {
      this.drop('spi-zero');
      return;
    }
    if (spi < 256) {
      this.drop('spi-reserved');
      return;
    }
    this.inbound(esp, undefined, dst, src.length === 4 ? 4 : 6, undefined, 0);
  }

  private inbound(
    esp: Uint8Array,
    l: Listener | undefined,
    dst: Uint8Array | undefined,
    family: 4 | 6,
    remoteAddress: string | undefined,
    remotePort: number,
  ): void {
    const found = this.inIndex.find(this.keys.sad, readU32(esp, 0), dst, family, l, remoteAddress);
    if (found === AMBIGUOUS) {
      this.drop('ambiguous-spi', l);
      return;
    }
    if (!found) {
      this.drop('unknown-spi', l);
      return;
    }
    const entry = found;
    const st = this.inState(entry);
    if (!st) {
      this.drop('sa-unusable', l);
      return;
    }
    const r = st.esp.open(esp);
    if (!r.ok) {
      this.drop(r.reason, l);
      return;
    }
    this.totals.espIn++;
    const newest = r.seqHi > st.maxSeqHi || (r.seqHi === st.maxSeqHi && r.seqLo > st.maxSeqLo);
    if (newest) {
      st.maxSeqHi = r.seqHi;
      st.maxSeqLo = r.seqLo;
    }
    // (1) NAT rebinding, only after the ICV and replay checks passed (open() succeeded), only
    // on the side not behind the NAT (natFloat) and only for the newest packet, so a delayed
    // packet from the old mapping cannot move the SA back (RFC 3947 §7, RFC 7296 §2.23).
    if (remoteAddress !== undefined && newest && entry.cfg?.natFloat === true && entry.encap.type !== 'none') {
      this.rebind(entry, remoteAddress, remotePort);
    }
    this.used(entry, r.payload.length, r.lifetime);
    // (2) the packet for the TUN and its inbound policy check (RFC 4301 §5.2)
    let pkt: Uint8Array | undefined;
    if (entry.mode === 'tunnel') {
      const inner = r.payload;
      const v = peekTuple(inner, this.tuple);
      if (v !== 0 && (v === 4) === (r.nextHeader === 4)) {
        // drops TFC padding (RFC 4303 §2.7); a new view only when there is some
        const n = ipTotalLength(inner);
        pkt = n === inner.length ? inner : inner.subarray(0, n);
      }
    } else {
      pkt = rebuildTransport(entry, r.nextHeader, r.payload);
      if (pkt && peekTuple(pkt, this.tuple) === 0) pkt = undefined;
    }
    if (!pkt) {
      st.badPacket++;
      this.drop('bad-packet', l);
      return;
    }
    if (!inboundPolicyAllows(this.keys.spd, this.tuple, entry, st.firstSrc)) {
      st.policyMismatch++;
      this.drop('policy-mismatch', l);
      return;
    }
    // (3) deliver
    this.sink.tunWrite(pkt);
    this.totals.tunOut++;
  }

  private rebind(entry: SaEntry, remoteAddress: string, remotePort: number): void {
    if (entry.encap.sport === remotePort && entry.src.text === remoteAddress) return;
    const to = this.addrs.parse(remoteAddress);
    if (!to || to.family !== entry.src.family) return;
    if (entry.encap.sport === remotePort && sameBytes(entry.src.bytes, to.bytes)) return;
    const old = entry.src;
    const oldPort = entry.encap.sport;
    const d = this.hook(() => this.keys.onNatMapping(entry, { addr: to, port: remotePort }));
    this.totals.natMappings++;
    this.logger.log(
      'info',
      'esp',
      `SA ${hexSpi(entry.spi)}: peer moved ${old.text}:${oldPort} -> ${to.text}:${remotePort} (NAT mapping change)`,
    );
    if (d) this.deliver(d);
    if (!sameBytes(old.bytes, to.bytes)) {
      this.peerMoved(old.text, to);
      this.sink.peerMoved?.(old.text, to);
    }
  }

  /**
   * A peer's address changed (NAT rebinding, seen here or by the inbound thread): tunnel-mode
   * policies naming the old address find the moved outbound SAs at the new one.
   */
  peerMoved(old: string, to: IpAddr): void {
    this.outSa.peerMoved(old, to);
  }

  private inState(entry: SaEntry): InState | undefined {
    let st = this.inStates.get(entry.id);
    if (st) return st;
    const esp = this.espFor(entry, 'in');
    if (!esp) return undefined;
    st = { entry, esp, firstSrc: entry.src, maxSeqHi: -1, maxSeqLo: 0, policyMismatch: 0, badPacket: 0 };
    this.inStates.set(entry.id, st);
    return st;
  }

  // ──────────────────────────────── IKE ───────────────────────────────

  /**
   * IKE from the IKE daemon (without marker) leaves from the listener at `local` (exact
   * address, else the wildcard of the family) with the framing its port needs: the Non-ESP
   * Marker on rfc3948 ports when neither port is 500 (RFC 3948 §2.2, RFC 7296 §2.23).
   */
  sendIke(local: UdpAddress, remote: UdpAddress, ike: Uint8Array): void {
    const family = remote.address.includes(':') ? 6 : 4;
    const localAddr = this.addrs.parse(local.address);
    if (localAddr && localAddr.family !== family) {
      this.drop('family-mismatch');
      return;
    }
    const l = listenerForIke(this.listeners, localAddr?.text ?? local.address, local.port, family);
    if (!l) {
      this.drop('no-listener');
      return;
    }
    // cisco-udp carries no IKE: it stays plain on 500 (framing.ts)
    if (l.role === 'cisco-udp') {
      this.drop('ike-on-cisco-port', l);
      return;
    }
    const payload = frameIke(l.ikeFraming, { sport: l.port, dport: remote.port }, ike);
    this.sink.udpSend(l.id, remote.address, remote.port, payload);
    this.totals.udpOut++;
    this.totals.ikeOut++;
    l.counters.txPackets++;
    l.counters.txBytes += payload.length;
    l.counters.ikeOut++;
    this.keepalives.onSentTo(l.id, remote.address, remote.port, this.clock.now());
  }

  // ────────────────────────── key engine events ───────────────────────

  /** Forget an SA's ESP state and free its crypto contexts at once (EVP native objects). */
  private dropState(states: Map<number, { readonly esp: EspSa }>, id: number): void {
    states.get(id)?.esp.dispose();
    states.delete(id);
  }

  /**
   * A SAD/SPD change from the key engine. The EspSa of an SA is kept across 'sa-updated'
   * when its keys and ESP parameters are unchanged (a NAT mapping move, new ports, new
   * lifetimes): rebuilding it would restart the outbound sequence number, reusing AEAD
   * nonces (RFC 4106 §3.1), and reopen the inbound replay window. Held packets are sent.
   */
  onSadChange(c: SadChange): void {
    this.outSa.changed();
    if (c.kind === 'spd-changed') return;
    const e = c.entry;
    if (c.kind === 'sa-removed') {
      this.dropState(this.outStates, e.id);
      this.dropState(this.inStates, e.id);
      this.keepalives.untrack(e.id);
      this.inIndex.remove(e);
      return;
    }
    this.inIndex.add(e);
    if (c.kind === 'sa-updated') {
      const o = this.outStates.get(e.id);
      if (o && !sameCrypto(o.esp.cfg, e.cfg)) this.dropState(this.outStates, e.id);
      const i = this.inStates.get(e.id);
      if (i && !sameCrypto(i.esp.cfg, e.cfg)) this.dropState(this.inStates, e.id);
    }
    this.refreshKeepalive(e);
    const st = this.outStates.get(e.id);
    if (st) st.dstRef = undefined; // re-read the path on the next packet
    for (const p of c.released) {
      this.totals.released++;
      this.fromTun(p);
    }
  }

  // ─────────── from a sealing thread (docs/dataplane.md §10.9) ───────────

  /** A packet the sealing thread found no SA for (its replica forwarded it): as fromTun would. */
  acquireFrom(packet: Uint8Array): void {
    if (peekTuple(packet, this.tuple) === 0) {
      this.drop('bad-packet');
      return;
    }
    // the SPD as it is now: a policy change since the worker looked is applied here
    const policy = this.keys.spd.lookup('out', this.tuple);
    if (!policy || policy.action !== 'ipsec') {
      this.drop(policy?.action === 'discard' ? 'policy-discard' : 'no-policy');
      return;
    }
    this.noSa(policy, packet);
  }

  /** Traffic the sealing thread sent on SA `id` in one batch: SAD lifetimes and keepalive idleness. */
  sealedElsewhere(id: number, bytes: number, packets: number): void {
    const e = this.keys.sad.getById(id);
    if (!e) return;
    this.account(e, bytes, packets);
    const m = this.keepalives.forSa(id);
    if (m) this.keepalives.onSent(m, this.clock.now());
  }

  /** The sealing thread's ESP engine crossed SA `id`'s soft or hard lifetime. */
  lifetimeElsewhere(id: number, which: 'soft' | 'hard'): void {
    const e = this.keys.sad.getById(id);
    if (e) this.hook(() => this.deliver(this.keys.onLifetimeEvent(e, which)));
  }

  // ───────────────────────────── timers ───────────────────────────────

  /**
   * Send the NAT-keepalives that are due: one per peer mapping on which nothing was sent
   * for the interval (RFC 3948 §4), in the format of the SAs using it.
   */
  tick(): void {
    sendDueKeepalives(this.keepalives, this.listeners, this.sink, this.totals, this.clock.now());
  }

  /** Track the peer mapping of an outbound SA with natKeepalive (the side behind the NAT). */
  private refreshKeepalive(e: SaEntry): void {
    trackKeepalive(this.keepalives, this.listeners, e, this.inIndex.isLocal, this.clock.now());
  }

  /** When tick() next has work (ms on the injected clock), or undefined. */
  nextDeadline(): number | undefined {
    return this.keepalives.nextDeadline();
  }

  // ───────────────────────────── status ───────────────────────────────

  status(): DataplaneStatus {
    const { outStates, inStates, listeners, keepalives, totals } = this;
    const more = { isLocal: this.inIndex.isLocal, entries: this.keys.sad.dump() };
    return dataplaneStatus({ outStates, inStates, listeners, keepalives, totals, ...more });
  }

  // ───────────────────────────── helpers ──────────────────────────────

  /** An I/O batch starts: its SAD accounting is summed per SA until endBatch() (usage-batch.ts). */
  beginBatch(): void {
    this.usage.begin();
  }

  endBatch(): void {
    this.usage.end();
  }

  private used(entry: SaEntry, bytes: number, lifetime: 'soft' | 'hard' | undefined): void {
    this.usage.used(entry, bytes, lifetime !== undefined);
    if (lifetime) this.hook(() => this.deliver(this.keys.onLifetimeEvent(entry, lifetime)));
  }

  private account(entry: SaEntry, bytes: number, packets: number): void {
    try {
      const d = this.keys.onSaUsed(entry, bytes, packets);
      if (d.length !== 0) this.sink.pfkey(d);
    } catch (e) {
      this.hookFailed(e);
    }
  }

  private deliver(d: readonly Delivery[]): void {
    if (d.length !== 0) this.sink.pfkey(d);
  }

  /** Key-engine hooks must not break the data path: an exception is logged and counted. */
  private hook<T>(f: () => T): T | undefined {
    try {
      return f();
    } catch (e) {
      this.hookFailed(e);
      return undefined;
    }
  }

  private hookFailed(e: unknown): void {
    this.totals.hookErrors++;
    this.logger.log('error', 'esp', `key engine hook failed: ${(e as Error).message}`);
  }

  private drop(reason: DataplaneDropReason, l?: Listener): void {
    this.totals.drops[reason]++;
    if (l) l.counters.drops[reason]++;
  }
}
