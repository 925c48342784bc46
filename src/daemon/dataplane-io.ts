/**
 * The I/O rim around the sans-IO Dataplane (docs/dataplane.md): the TUN device, the UDP
 * listeners, the raw ESP sockets and the IKE channel, plus the one timer of the key engine
 * and the data plane.
 *
 *   TUN ──startOutboundReader──> dp.fromTun ──sink.udpSend──> UdpEndpoint[listener]
 *                                     └──sink.rawSend──> RawEspSocket (v4 | v6)
 *   UdpEndpoint[i] ──dp.fromUdp(i)──> sink.tunWrite ──> TUN
 *   RawEspSocket ──dp.fromRawEsp──┘           sink.toIke ──> IKE channel clients
 *   IKE channel client ──dp.sendIke──> UdpEndpoint at `local`
 *   KeyEngine.onChange ──> dp.onSadChange;   sink.pfkey ──> PF_KEY server (deliver)
 *   timer: min(engine.nextDeadline, dp.nextDeadline, now + 1 s) ──> engine.tick + dp.tick
 *
 * UDP I/O (`udpIo`):
 *  - 'mmsg' (default): sockets made through the FFI (mmsg-udp-endpoint.ts). Received with
 *    recvmmsg in batches after FdPoller readiness; sent synchronously. Packets sealed while a
 *    TUN batch is processed are queued (copied into native sendmmsg slots) and leave with one
 *    sendmmsg per batch, runs of equal-size datagrams to one peer as one UDP GSO message;
 *    any other send (IKE, keepalives, released packets) is flushed at once.
 *  - 'dgram': node:dgram (udp-endpoint.ts). It defers a send to a later tick (it resolves the
 *    address first, even a literal one), so udpSend copies the datagram into a pooled Buffer.
 * Either way udpSend returns false: the data plane keeps reusing its send buffer. TUN and raw
 * sends are synchronous system calls.
 *
 * With `sealerThread` (--dataplane-threads 2, docs/dataplane.md §10.9) a worker thread
 * (seal-worker.ts) reads the TUN and seals on the same sockets; this thread keeps the key
 * engine, the inbound path, IKE, keepalives and the timer, posts every SadChange to the
 * worker (dataplane/sealer-link.ts) and applies the worker's events (ACQUIRE, lifetimes).
 */
import { networkInterfaces } from 'node:os';
import type { CryptoBackend } from '../crypto/backend.js';
import type { NativePreference } from '../crypto/native-addon.js';
import type { BackendPreference } from '../crypto/select.js';
import { Dataplane, type DataplaneSink } from '../dataplane/dataplane.js';
import type { Delivery, SadChange } from '../dataplane/key-hooks.js';
import type { ListenerSpec } from '../dataplane/listener.js';
import { type NativeOnesSum, OnesSum } from '../dataplane/ones-sum.js';
import { applySealerEvents, forChange, forMainThread } from '../dataplane/sealer-link.js';
import type { DataplaneStatus } from '../dataplane/status.js';
import { mergeDataplaneStatus, sumCounters } from '../dataplane/status-merge.js';
import { TcpCoalescer, type TcpCoalescerCounters } from '../dataplane/tcp-coalescer.js';
import { TcpSegmenter, type TcpSegmenterCounters } from '../dataplane/tcp-segmenter.js';
import type { DrainLoop } from '../io/drain-loop.js';
import { type MmsgUdpEndpoint, openMmsgUdpEndpoint, startUdpReader } from '../io/mmsg-udp-endpoint.js';
import { addAddress, addRoute, linkUp, removeStaleTun, setMtu } from '../io/netlink-ip.js';
import { openRawEsp, type RawEspCounters, type RawEspSocket, startRawEspReader } from '../io/raw-esp.js';
import { openTun, type TunCounters, type TunDevice } from '../io/tun-device.js';
import { openUdpEndpoint, type UdpCounters, type UdpEndpoint } from '../io/udp-endpoint.js';
import { type NativePoll, UvPoller } from '../io/uv-poller.js';
import type { KeyEngine } from '../pfkey/key-engine.js';
import type { Clock } from '../util/clock.js';
import { type Logger, nullLogger } from '../util/logger.js';
import type { Rng } from '../util/rng.js';
import type { IkeChannelEndpoint } from '../wire/ike-channel/ike-channel-frame.js';
import { startOutboundReader } from './outbound-reader.js';
import { type SealWorker, startSealWorker } from './seal-worker-link.js';
import type { SealerStatus } from './seal-worker-protocol.js';

/**
 * Default TUN MTU: 1400 leaves room on a 1500-byte path for the outer IPv6 header (40), UDP
 * (8), the udp-encaps-00 marker (8), ESP header + IV (8 + 16 for AES-CBC), up to 17 bytes of
 * padding/pad length/next header, and an ICV of up to 32 bytes (HMAC-SHA-512/256): 129 bytes,
 * 1371 + 129 = 1500 in the worst case; 1400 is the usual round figure (strongSwan/libreswan docs).
 */
export const DEFAULT_TUN_MTU = 1400;
/** Longest the timer sleeps, so a deadline that moved earlier is never missed by more than this. */
export const MAX_TIMER_MS = 1000;

export interface DataplaneIoOptions {
  readonly engine: KeyEngine;
  readonly backend: CryptoBackend;
  readonly rng: Rng;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly tun: {
    readonly name: string;
    readonly mtu?: number;
    readonly addresses?: readonly string[];
    readonly routes?: readonly string[];
  };
  readonly listeners: readonly ListenerSpec[];
  readonly rawEsp: boolean;
  /** UDP sockets: 'mmsg' (FFI, recvmmsg/sendmmsg batches; the default) or 'dgram' (node:dgram) */
  readonly udpIo?: UdpIo;
  /** UDP GSO for runs of equal-size datagrams (udpIo 'mmsg' only; default true) */
  readonly udpGso?: boolean;
  /** UDP GRO on receive: a GSO run arrives as one buffer (udpIo 'mmsg' only; default true) */
  readonly udpGro?: boolean;
  /**
   * TUN with IFF_VNET_HDR and userland GRO (tcp-coalescer.ts): TCP segments decapsulated
   * from one receive batch are merged before the TUN write (default true).
   */
  readonly tunGro?: boolean;
  /**
   * With tunGro: TSO on the TUN read side (TUNSETOFFLOAD): the kernel hands over TCP segments
   * of up to 64 KB, cut to the MSS here before ESP (tcp-segmenter.ts) (default true).
   */
  readonly tunTso?: boolean;
  /**
   * The native helper (crypto/native-addon.ts) for the TUN offloads' checksums
   * (dataplane/ones-sum.ts) and for fd readiness on the event loop (io/uv-poller.ts);
   * without it the checksums are summed in JavaScript and readiness comes from poll() on a
   * pool thread (io/fd-poller.ts).
   */
  readonly native?: NativeOnesSum & NativePoll;
  readonly keepaliveIntervalMs?: number;
  /**
   * Seal in a second thread (--dataplane-threads 2): a worker reads the TUN, seals and sends
   * (udpIo 'mmsg' only); it loads its own crypto backend and native helper with these
   * preferences (the same the main thread's came from).
   */
  readonly sealerThread?: { readonly crypto: BackendPreference; readonly native: NativePreference };
  /** The sealing thread died while running: the daemon must stop (seal-worker-link.ts). */
  readonly onFatal?: (err: Error) => void;
  /** PF_KEY messages from the data plane's hooks and the timer (the PF_KEY server's deliver) */
  readonly pfkey: (d: readonly Delivery[]) => void;
  /** IKE received from the network (the IKE channel's toClients) */
  readonly toIke: (local: IkeChannelEndpoint, remote: IkeChannelEndpoint, ike: Uint8Array) => void;
}

export type UdpIo = 'mmsg' | 'dgram';
export const UDP_IO_KINDS: readonly UdpIo[] = ['mmsg', 'dgram'];

export interface ListenerIoStatus {
  readonly address: string;
  readonly port: number;
  readonly socket: UdpCounters;
}

export interface DataplaneIoStatus {
  readonly tun: {
    readonly name: string;
    readonly mtu: number;
    readonly counters: TunCounters;
    /** userland GRO on the TUN write path (tunGro) */
    readonly gro?: TcpCoalescerCounters;
    /** segmentation of TSO frames on the TUN read path (tunTso) */
    readonly tso?: TcpSegmenterCounters;
  };
  readonly raw: readonly { readonly family: 4 | 6; readonly counters: RawEspCounters }[];
  readonly sockets: readonly ListenerIoStatus[];
  readonly udpIo: UdpIo;
  /** 2 with a sealing thread (its counters are summed in) */
  readonly threads: 1 | 2;
  readonly dataplane: DataplaneStatus;
  readonly timerRuns: number;
}

export interface DataplaneIo {
  readonly dataplane: Dataplane;
  readonly tunName: string;
  /** KeyEngine.onChange goes here */
  onSadChange(c: SadChange): void;
  /** re-arm the timer (after PF_KEY activity) */
  rearm(): void;
  sendIke(local: IkeChannelEndpoint, remote: IkeChannelEndpoint, ike: Uint8Array): void;
  /** the counters as of now, with the sealing thread's as of the last refreshStatus() */
  status(): DataplaneIoStatus;
  /** ask the sealing thread for its counters (resolves at once without one) */
  refreshStatus(): Promise<void>;
  close(): Promise<void>;
}

/** This host's addresses (for SA lookups on wildcard listeners and raw IPv6 ESP). */
function interfaceAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.address.includes('%')) out.push(a.address);
  }
  return out;
}

export async function startDataplaneIo(o: DataplaneIoOptions): Promise<DataplaneIo> {
  const log = o.logger ?? nullLogger;
  const mtu = o.tun.mtu ?? DEFAULT_TUN_MTU;
  const udpIo = o.udpIo ?? 'mmsg';
  const endpoints: UdpEndpoint[] = [];
  /** the same endpoints when udpIo is 'mmsg' (index = ListenerId) */
  const batched: MmsgUdpEndpoint[] = [];
  /** true while a TUN or UDP batch is processed: sealed datagrams and TUN writes are queued, flushed at its end */
  let inBatch = false;
  let gro: TcpCoalescer | undefined;
  let tso: TcpSegmenter | undefined;
  const flushAll = (): void => {
    inBatch = false;
    dp?.endBatch();
    if (gro && gro.pending > 0) gro.flush();
    for (const ep of batched) if (ep.pending > 0) ep.flush();
  };
  const raws: RawEspSocket[] = [];
  const loops: DrainLoop[] = [];
  let tun: TunDevice | undefined;
  let dp: Dataplane | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let timerRuns = 0;
  let sealer: SealWorker | undefined;
  let sealerStatus: SealerStatus | undefined;
  if (o.sealerThread && udpIo !== 'mmsg') throw new TypeError('a sealing thread needs udpIo mmsg');
  // readiness on the event loop when the native helper is loaded (else the pool-thread poller)
  const poller = o.native ? new UvPoller(o.native) : undefined;
  const withPoller = poller ? { poller } : {};

  const cleanup = async (): Promise<void> => {
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    // the worker stops touching the fds before they are closed (an fd number may be reused)
    await sealer?.close();
    for (const l of loops) l.stop();
    tun?.close();
    for (const r of raws) r.close();
    await Promise.all(endpoints.map((e) => e.close()));
    poller?.close();
  };

  try {
    // crash hygiene: a TUN of this name left by a killed run (routes went with it)
    if (await removeStaleTun(o.tun.name)) log.log('warn', 'daemon', `removed stale TUN ${o.tun.name}`);
    const vnetHdr = o.tunGro ?? true;
    tun = openTun({ name: o.tun.name, vnetHdr, tso: vnetHdr && (o.tunTso ?? true), ...withPoller });
    const dev = tun;
    const cs = new OnesSum(o.native);
    if (dev.vnetHdrLen > 0) gro = new TcpCoalescer((frame) => dev.writeFrame(frame), cs);
    // with a sealing thread the TUN is read (and TSO frames cut) there
    if (vnetHdr && (o.tunTso ?? true) && !o.sealerThread) tso = new TcpSegmenter(cs);
    const cutter = tso;
    const merger = gro;
    await setMtu(dev.name, mtu);
    for (const a of o.tun.addresses ?? []) await addAddress(dev.name, a);
    await linkUp(dev.name);
    for (const r of o.tun.routes ?? []) await addRoute(r, dev.name);

    for (const [i, l] of o.listeners.entries()) {
      if (udpIo === 'mmsg') {
        const ep = openMmsgUdpEndpoint({
          ...withPoller,
          address: l.address,
          port: l.port,
          // a UDP GRO run is one skb of ~64 KB whose truesize counts about twice that
          // against SO_RCVBUF: 4 MB held ~30 runs and overflowed with 4 clients bursting
          // (docs/dataplane.md §10.8); the kernel charges only what is queued
          recvBufferSize: (o.udpGro ?? true) ? 32 << 20 : 4 << 20,
          sendBufferSize: 4 << 20,
          gso: o.udpGso ?? true,
          gro: o.udpGro ?? true,
        });
        endpoints.push(ep);
        batched.push(ep);
        continue;
      }
      const ep = await openUdpEndpoint({
        address: l.address,
        port: l.port,
        recvBufferSize: 4 << 20,
        sendBufferSize: 4 << 20,
        onMessage: (payload, remote) => dp?.fromUdp(i, remote.address, remote.port, payload),
        onError: (err) => log.log('debug', 'daemon', `udp ${l.address}:${l.port}: ${err.message}`),
      });
      endpoints.push(ep);
    }
    if (o.rawEsp) {
      for (const family of [4, 6] as const) raws.push(openRawEsp({ family, recvBufferSize: 4 << 20, ...withPoller }));
    }

    const sink: DataplaneSink = {
      udpSend(listener, address, port, payload) {
        if (udpIo === 'mmsg') {
          const b = batched[listener];
          if (!b) return false;
          // copied into a native sendmmsg slot: the data plane may reuse its buffer at once
          b.queue(payload, port, address);
          if (!inBatch) b.flush();
          return false;
        }
        const ep = endpoints[listener];
        if (!ep) return false;
        // node:dgram sends on a later tick: hand it a copy (pooled for small sizes)
        const copy = Buffer.allocUnsafe(payload.length);
        copy.set(payload);
        ep.send(copy, port, address);
        return false;
      },
      rawSend(family, dst, esp) {
        const s = raws.find((r) => r.family === family);
        s?.sendTo(esp, dst);
        return false;
      },
      tunWrite(packet) {
        // the packet is a view into the receive slot, valid until the batch ends (flushAll)
        if (!merger) dev.write(packet);
        else {
          merger.add(packet);
          if (!inBatch) merger.flush();
        }
      },
      toIke(local, remote, ike) {
        o.toIke(local, remote, ike);
      },
      pfkey(d) {
        o.pfkey(d);
        rearm();
      },
      peerMoved(old, to) {
        sealer?.post({ kind: 'peer-moved', old, to });
      },
    };
    dp = new Dataplane({
      keys: o.engine,
      backend: o.backend,
      rng: o.rng,
      clock: o.clock,
      logger: log,
      sink,
      listeners: o.listeners,
      ...(o.keepaliveIntervalMs !== undefined ? { keepaliveIntervalMs: o.keepaliveIntervalMs } : {}),
      localAddresses: interfaceAddresses(),
    });
    const plane = dp;
    const onError = (err: unknown) => log.log('error', 'esp', `data path: ${(err as Error).stack ?? String(err)}`);
    // one packet's read buffer without TSO
    const packetBuffer = Math.max(mtu, 2048) + 256;
    // a batch's first packet: sends and TUN writes queue, SAD accounting sums until flushAll
    const enterBatch = (): void => {
      if (inBatch) return;
      inBatch = true;
      plane.beginBatch();
    };
    if (o.sealerThread) {
      sealer = await startSealWorker({
        data: {
          tun: { name: dev.name, fd: dev.fd, vnetHdrLen: dev.vnetHdrLen, tso: vnetHdr && (o.tunTso ?? true) },
          packetBuffer,
          udp: batched.map((ep) => ({
            fd: ep.fd,
            family: ep.family,
            address: ep.local.address,
            port: ep.local.port,
            gso: o.udpGso ?? true,
          })),
          raw: raws.map((r) => ({ family: r.family, fd: r.fd })),
          listeners: o.listeners,
          localAddresses: interfaceAddresses(),
          crypto: o.sealerThread.crypto,
          native: o.sealerThread.native,
        },
        logger: log,
        onEvents: (events) => {
          applySealerEvents(plane, events);
          rearm();
        },
        onFatal: (err) => {
          log.log('error', 'daemon', `data plane: ${err.message}`);
          o.onFatal?.(err);
        },
      });
      log.log(
        'info',
        'daemon',
        `sealing thread started (crypto ${sealer.backend}${sealer.native ? ', native helper' : ''})`,
      );
      // what the key engine holds already: every SA, then the policies
      for (const e of o.engine.sad.dump())
        sealer.post(forChange({ kind: 'sa-added', entry: e, released: [] }, o.engine.spd));
      sealer.post(forChange({ kind: 'spd-changed' }, o.engine.spd));
    } else
      loops.push(startOutboundReader(dev, plane, { cutter, packetBuffer, enterBatch, onBatchEnd: flushAll, onError }));
    for (const [i, ep] of batched.entries()) {
      loops.push(
        startUdpReader(
          ep,
          (payload, address, port) => {
            enterBatch();
            plane.fromUdp(i, address, port, payload);
          },
          {
            onError,
            onBatchEnd: flushAll,
          },
        ),
      );
    }
    for (const r of raws)
      loops.push(startRawEspReader(r, (esp, src) => plane.fromRawEsp(src, undefined, esp), { onError }));
  } catch (e) {
    await cleanup();
    throw e;
  }

  const plane = dp;
  const dev = tun;

  function fire(): void {
    timer = undefined;
    if (closed) return;
    timerRuns++;
    try {
      o.pfkey(o.engine.tick());
    } catch (e) {
      log.log('error', 'pfkey', `engine.tick failed: ${(e as Error).message}`);
    }
    plane.tick();
    rearm();
  }

  function rearm(): void {
    if (closed) return;
    const now = o.clock.now();
    let due = now + MAX_TIMER_MS;
    const a = o.engine.nextDeadline();
    const b = plane.nextDeadline();
    if (a !== undefined && a < due) due = a;
    if (b !== undefined && b < due) due = b;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(fire, Math.max(1, Math.ceil(due - now)));
    timer.unref();
  }
  rearm();

  return {
    dataplane: plane,
    tunName: dev.name,
    onSadChange(c) {
      if (sealer) {
        // the worker first: it seals the held packets an SA releases (one writer per SA)
        sealer.post(forChange(c, o.engine.spd));
        plane.onSadChange(forMainThread(c));
      } else plane.onSadChange(c);
      rearm();
    },
    rearm,
    sendIke(local, remote, ike) {
      plane.sendIke(local, remote, ike);
    },
    status() {
      const w = sealerStatus;
      const cut = w?.tso ?? tso?.counters;
      return {
        tun: {
          name: dev.name,
          mtu,
          counters: w ? sumCounters(dev.counters, w.tun) : { ...dev.counters },
          ...(gro ? { gro: { ...gro.counters } } : {}),
          ...(cut ? { tso: { ...cut } } : {}),
        },
        raw: raws.map((r, i) => {
          const wr = w?.raw[i];
          return { family: r.family, counters: wr ? sumCounters(r.counters, wr) : { ...r.counters } };
        }),
        sockets: endpoints.map((e, i) => {
          const ws = w?.sockets[i];
          const socket = ws ? sumCounters<UdpCounters>(e.counters, ws) : { ...e.counters };
          return { address: e.local.address, port: e.local.port, socket };
        }),
        udpIo,
        threads: sealer ? 2 : 1,
        dataplane: w ? mergeDataplaneStatus(plane.status(), w.dataplane) : plane.status(),
        timerRuns,
      };
    },
    async refreshStatus() {
      if (sealer) sealerStatus = (await sealer.status()) ?? sealerStatus;
    },
    close: cleanup,
  };
}
