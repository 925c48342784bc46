/**
 * TEST ONLY: an in-memory network for Dataplane tests (wireguard-go bindtest/tuntest,
 * strongSwan mock_net): hosts with a Dataplane each, a fake key engine over the real
 * Sad/Spd/AcquireTable, and a NAT (RFC 4787 endpoint-independent mapping) that rewrites an
 * inside host's source address and port and can change the mapping mid-flow.
 *
 *   client 10.0.0.2:4500 ──> NAT (10.0.0.2:4500 <-> 198.51.100.7:40001) ──> gateway 192.0.2.1:4500
 *
 * Datagrams are queued and delivered by pump(), so a test decides what is "in flight".
 */
import { nodeBackend } from '../crypto/node-backend.js';
import { AcquireTable } from '../sad/acquire.js';
import type { SaConfig } from '../sad/sa-config.js';
import type { Endpoint, SaEntry } from '../sad/sa-entry.js';
import { Sad } from '../sad/sad.js';
import type { AddParams } from '../sad/sad-requests.js';
import type { PacketTuple } from '../sad/selector.js';
import { type Policy, type PolicySpec, Spd } from '../sad/spd.js';
import type { FakeClock } from '../util/clock.js';
import { type IpAddr, parseIp } from '../util/ip-addr.js';
import { MemoryLogger } from '../util/logger.js';
import { SeededRng } from '../util/rng.js';
import { SADB_MSG } from '../wire/pfkey/constants.js';
import type { PfkeyMessage } from '../wire/pfkey/types.js';
import { Dataplane, type DataplaneSink, type UdpAddress } from './dataplane.js';
import type { DataplaneKeyHooks, Delivery, SadChange } from './key-hooks.js';
import type { ListenerSpec } from './listener.js';

function message(type: number, seq: number): PfkeyMessage {
  return { header: { version: 2, type, errno: 0, satype: 3, seq, pid: 0 }, extensions: [] };
}

/** A stand-in for pfkey/key-engine.ts KeyEngine, over the real SAD, SPD and acquire table. */
export class FakeKeys implements DataplaneKeyHooks {
  readonly sad: Sad;
  readonly spd = new Spd();
  readonly acquire = new AcquireTable();
  readonly mappings: { spi: number; old: Endpoint; to: Endpoint }[] = [];
  readonly lifetimeEvents: { spi: number; which: 'soft' | 'hard' }[] = [];
  readonly acquires: PacketTuple[] = [];
  onChange: (c: SadChange) => void = () => {};
  private readonly clock: FakeClock;

  constructor(clock: FakeClock) {
    this.clock = clock;
    this.sad = new Sad({ clock });
  }

  addPolicy(spec: Omit<PolicySpec, 'priority'> & { priority?: number }): Policy {
    const p = this.spd.add({ priority: 0, ...spec });
    this.onChange({ kind: 'spd-changed' });
    return p;
  }

  addSa(cfg: SaConfig, extra: Omit<AddParams, 'cfg'> = {}): SaEntry {
    const entry = this.sad.add({ cfg, ...extra });
    const released = this.acquire.onSaAdded(entry).map((h) => h.packet);
    this.onChange({ kind: 'sa-added', entry, released });
    return entry;
  }

  deleteSa(entry: SaEntry): void {
    const dead = this.sad.delete({ dst: entry.dst, spi: entry.spi, dport: entry.encap.dport || undefined });
    this.onChange({ kind: 'sa-removed', entry: dead });
  }

  onOutboundNoSa(policy: Policy, tuple: PacketTuple, packet: Uint8Array): { deliveries: Delivery[]; held: boolean } {
    const o = this.acquire.onNoSa(policy, tuple, packet, this.clock.now());
    if (o.acquire) this.acquires.push(tuple);
    return {
      deliveries: o.acquire ? [{ to: 0, message: message(SADB_MSG.ACQUIRE, o.acquire.seq) }] : [],
      held: o.held,
    };
  }

  onSaUsed(entry: SaEntry, bytes: number, packets: number): Delivery[] {
    const out: Delivery[] = [];
    for (const ev of this.sad.recordUse(entry, bytes, packets, this.clock.now())) {
      out.push({ to: 0, message: message(SADB_MSG.EXPIRE, 0) });
      if (ev.which === 'hard') this.onChange({ kind: 'sa-removed', entry: ev.entry });
    }
    return out;
  }

  onNatMapping(entry: SaEntry, to: Endpoint): Delivery[] {
    const old = { addr: entry.src, port: entry.encap.sport };
    const ch = this.sad.updateMapping(entry, to, this.clock.now());
    if (!ch) return [];
    this.mappings.push({ spi: entry.spi, old, to });
    this.onChange({ kind: 'sa-updated', entry: ch.sa, released: [] });
    for (const f of ch.followers) this.onChange({ kind: 'sa-updated', entry: f.entry, released: [] });
    return [{ to: 0, message: message(SADB_MSG.X_NAT_T_NEW_MAPPING, 0) }];
  }

  onLifetimeEvent(entry: SaEntry, which: 'soft' | 'hard'): Delivery[] {
    this.lifetimeEvents.push({ spi: entry.spi, which });
    return [{ to: 0, message: message(SADB_MSG.EXPIRE, 0) }];
  }
}

export interface Datagram {
  readonly kind: 'udp' | 'raw';
  readonly src: UdpAddress;
  readonly dst: UdpAddress;
  readonly payload: Uint8Array;
}

export interface HostOptions {
  readonly name: string;
  /** the host's address on the network (a wildcard listener sends from it) */
  readonly address: string;
  readonly listeners: readonly ListenerSpec[];
  readonly behindNat?: boolean;
  readonly localAddresses?: readonly string[];
  readonly keepaliveIntervalMs?: number;
  /** key hooks to use instead of the host's FakeKeys (e.g. the real KeyEngine); the caller wires its onChange */
  readonly hooks?: DataplaneKeyHooks;
}

export class Host {
  readonly name: string;
  readonly address: string;
  readonly keys: FakeKeys;
  readonly dp: Dataplane;
  readonly logger = new MemoryLogger();
  readonly tun: Uint8Array[] = [];
  readonly ike: { local: UdpAddress; remote: UdpAddress; ike: Uint8Array }[] = [];
  readonly pfkey: Delivery[] = [];
  readonly behindNat: boolean;
  /** the sink's peerMoved (a sealing thread's link listens here: sealer-link.test.ts) */
  onPeerMoved: ((old: string, to: IpAddr) => void) | undefined;

  constructor(net: Net, clock: FakeClock, o: HostOptions) {
    this.name = o.name;
    this.address = o.address;
    this.behindNat = o.behindNat ?? false;
    this.keys = new FakeKeys(clock);
    const sink: DataplaneSink = {
      udpSend: (listener, remoteAddress, remotePort, payload) => {
        const l = o.listeners[listener];
        if (!l) throw new Error(`${this.name}: no listener ${listener}`);
        const from = l.address === '0.0.0.0' || l.address === '::' ? this.address : l.address;
        net.send({
          kind: 'udp',
          src: { address: from, port: l.port },
          dst: { address: remoteAddress, port: remotePort },
          payload: payload.slice(),
        });
        return false;
      },
      rawSend: (_family, dst, esp) => {
        net.send({
          kind: 'raw',
          src: { address: this.address, port: 0 },
          dst: { address: parseAddrText(dst), port: 0 },
          payload: esp.slice(),
        });
        return false;
      },
      tunWrite: (packet) => {
        this.tun.push(packet.slice());
      },
      toIke: (local, remote, ike) => {
        this.ike.push({ local, remote, ike: ike.slice() });
      },
      pfkey: (d) => {
        this.pfkey.push(...d);
      },
      peerMoved: (old, to) => this.onPeerMoved?.(old, to),
    };
    this.dp = new Dataplane({
      keys: o.hooks ?? this.keys,
      backend: nodeBackend,
      rng: new SeededRng(7n),
      clock,
      logger: this.logger,
      sink,
      listeners: o.listeners,
      keepaliveIntervalMs: o.keepaliveIntervalMs,
      localAddresses: o.localAddresses,
    });
    if (!o.hooks) this.keys.onChange = (c) => this.dp.onSadChange(c);
    net.attach(this);
  }

  /** Deliver one datagram addressed to this host. */
  receive(d: Datagram): boolean {
    if (d.kind === 'raw') {
      this.dp.fromRawEsp(parseIp(d.src.address).bytes, parseIp(d.dst.address).bytes, d.payload);
      return true;
    }
    const id = this.dp.listeners.findIndex(
      (l) =>
        l.port === d.dst.port &&
        (l.address === d.dst.address || (l.wildcard && l.addr.family === family(d.dst.address))),
    );
    if (id < 0) return false;
    this.dp.fromUdp(id, d.src.address, d.src.port, d.payload);
    return true;
  }
}

function family(a: string): 4 | 6 {
  return a.includes(':') ? 6 : 4;
}

function parseAddrText(b: Uint8Array): string {
  return b.length === 4 ? Array.from(b).join('.') : parseIp(hexV6(b)).text;
}

function hexV6(b: Uint8Array): string {
  const w: string[] = [];
  for (let i = 0; i < 16; i += 2) w.push((((b[i] as number) << 8) | (b[i + 1] as number)).toString(16));
  return w.join(':');
}

/** Endpoint-independent NAT for inside hosts: (private addr, port) <-> (public addr, port). */
export class Nat {
  readonly publicAddress: string;
  private readonly out = new Map<string, number>();
  private readonly back = new Map<number, UdpAddress>();
  private nextPort = 40001;
  /** datagrams to a public port without a mapping (e.g. in flight across a rebinding) */
  dropped = 0;

  constructor(publicAddress: string) {
    this.publicAddress = publicAddress;
  }

  /** The public port of an inside endpoint, creating the mapping on first use. */
  map(inside: UdpAddress, port?: number): number {
    const k = `${inside.address} ${inside.port}`;
    let p = this.out.get(k);
    if (p === undefined) {
      p = port ?? this.nextPort++;
      this.out.set(k, p);
      this.back.set(p, inside);
    }
    return p;
  }

  /** The NAT forgets the mapping (timeout, reboot) and gives the endpoint a new port. */
  rebind(inside: UdpAddress, port?: number): number {
    const k = `${inside.address} ${inside.port}`;
    const old = this.out.get(k);
    if (old !== undefined) this.back.delete(old);
    this.out.delete(k);
    return this.map(inside, port);
  }

  inside(publicPort: number): UdpAddress | undefined {
    return this.back.get(publicPort);
  }
}

export class Net {
  readonly clock: FakeClock;
  readonly hosts = new Map<string, Host>();
  readonly queue: Datagram[] = [];
  /** everything that crossed the wire, as seen after the NAT */
  readonly wire: Datagram[] = [];
  readonly nat: Nat | undefined;
  lost = 0;

  constructor(clock: FakeClock, nat?: Nat) {
    this.clock = clock;
    this.nat = nat;
  }

  attach(h: Host): void {
    this.hosts.set(h.address, h);
  }

  host(o: HostOptions): Host {
    return new Host(this, this.clock, o);
  }

  send(d: Datagram): void {
    const from = this.hosts.get(d.src.address);
    let out = d;
    if (from?.behindNat && this.nat && d.kind === 'udp') {
      const port = this.nat.map(d.src);
      out = { ...d, src: { address: this.nat.publicAddress, port } };
    }
    this.queue.push(out);
  }

  /** Deliver everything queued (and whatever that causes); returns the number delivered. */
  pump(): number {
    let n = 0;
    for (let d = this.queue.shift(); d; d = this.queue.shift()) {
      this.wire.push(d);
      let to = d;
      if (this.nat && d.dst.address === this.nat.publicAddress) {
        const inside = this.nat.inside(d.dst.port);
        if (!inside) {
          this.nat.dropped++;
          continue;
        }
        to = { ...d, dst: inside };
      }
      const h = this.hosts.get(to.dst.address);
      if (h?.receive(to)) n++;
      else this.lost++;
    }
    return n;
  }

  /** Take everything in flight off the wire (returned, not delivered). */
  dropQueued(): Datagram[] {
    return this.queue.splice(0, this.queue.length);
  }
}

export const KEY_A = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
export const KEY_B = Uint8Array.from({ length: 20 }, (_, i) => 0xa0 + i);

/** An AES-GCM-16 (128-bit key + 4-byte salt, RFC 4106) SA config; override what differs. */
export function saConfig(o: Partial<SaConfig> & Pick<SaConfig, 'spi' | 'src' | 'dst'>): SaConfig {
  return {
    mode: 'tunnel',
    encryption: { algorithm: 'aes-gcm-16', key: KEY_A },
    integrity: { algorithm: 'none', key: new Uint8Array(0) },
    encapsulation: { type: 'rfc3948', sport: 4500, dport: 4500 },
    esn: false,
    replayWindow: 64,
    seq: 1n,
    ...o,
  };
}

export { parseIp as ip };
