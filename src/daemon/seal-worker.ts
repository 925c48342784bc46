/**
 * The sealing worker (`esprit ipsecd --dataplane-threads 2`, docs/dataplane.md §10.9): a
 * worker thread that reads the main thread's TUN queue, cuts TSO frames, looks up the SPD
 * and the SAD copies (dataplane/replica-keys.ts), seals and sends on the main thread's UDP
 * and raw ESP sockets; the main thread keeps everything else (key engine, inbound, IKE,
 * keepalives, timers). It owns no fd: the main thread closes them after this worker has
 * answered 'close'.
 *
 *   TUN fd ──startTunReader──> TcpSegmenter ──> Dataplane.fromTun ──> sendmmsg (shared socket)
 *   parentPort: ToSealer ──applyToSealer──> SadReplica / Spd copy / Dataplane
 *               <── SealerEvent[] (per batch: acquire, used, lifetime), status, log
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LIBCRYPTO } from '../crypto/evp-backend.js';
import { nativeAddonFor } from '../crypto/native-addon.js';
import { NodeRng } from '../crypto/random.js';
import { selectBackend } from '../crypto/select.js';
import { Dataplane, type DataplaneSink } from '../dataplane/dataplane.js';
import { OnesSum } from '../dataplane/ones-sum.js';
import { ReplicaKeys } from '../dataplane/replica-keys.js';
import { applyToSealer } from '../dataplane/sealer-link.js';
import { TcpSegmenter } from '../dataplane/tcp-segmenter.js';
import { adoptMmsgUdpEndpoint, type MmsgUdpEndpoint } from '../io/mmsg-udp-endpoint.js';
import { adoptRawEsp } from '../io/raw-esp.js';
import { adoptTun } from '../io/tun-device.js';
import { UvPoller } from '../io/uv-poller.js';
import type { Logger } from '../util/logger.js';
import { startOutboundReader } from './outbound-reader.js';
import type { FromWorker, SealWorkerData, ToWorker } from './seal-worker-protocol.js';
import { systemClock } from './system-clock.js';

/**
 * How long traffic sums may wait before they go to the main thread (SAD byte/packet
 * lifetimes, keepalive idleness): one message per TUN batch cost the main thread a wakeup
 * and a structured clone per batch (docs/dataplane.md §10.9).
 */
const USAGE_DELAY_MS = 50;

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('seal-worker.ts runs only as a worker thread');
  const d = workerData as SealWorkerData;
  const post = (m: FromWorker): void => port.postMessage(m);
  const logger: Logger = { log: (level, area, text) => post({ kind: 'log', level, area, text }) };

  const backend = selectBackend(d.crypto, LIBCRYPTO, d.native);
  const native = nativeAddonFor(d.native);
  const poller = native ? new UvPoller(native) : undefined;
  const withPoller = poller ? { poller } : {};
  const tun = adoptTun({ name: d.tun.name, fd: d.tun.fd, vnetHdrLen: d.tun.vnetHdrLen, ...withPoller });
  const eps: MmsgUdpEndpoint[] = d.udp.map((u) =>
    adoptMmsgUdpEndpoint({ fd: u.fd, family: u.family, local: { address: u.address, port: u.port }, gso: u.gso }),
  );
  const raws = d.raw.map((r) => adoptRawEsp(r.family, r.fd, poller));
  const keys = new ReplicaKeys();
  let inBatch = false;
  const sink: DataplaneSink = {
    udpSend(listener, address, p, payload) {
      const ep = eps[listener];
      if (!ep) return false;
      ep.queue(payload, p, address); // copied into a sendmmsg slot
      if (!inBatch) ep.flush();
      return false;
    },
    rawSend(family, dst, esp) {
      raws.find((r) => r.family === family)?.sendTo(esp, dst);
      return false;
    },
    // the inbound path, IKE and PF_KEY are the main thread's: nothing here produces them
    tunWrite() {},
    toIke() {},
    pfkey() {},
  };
  const plane = new Dataplane({
    keys,
    backend,
    rng: new NodeRng(),
    clock: systemClock,
    logger,
    sink,
    listeners: d.listeners,
    localAddresses: d.localAddresses,
  });

  /** the events for the main thread: ACQUIRE and lifetime events at once, traffic sums within USAGE_DELAY_MS */
  let usageTimer: ReturnType<typeof setTimeout> | undefined;
  const sendEvents = (): void => {
    if (usageTimer !== undefined) clearTimeout(usageTimer);
    usageTimer = undefined;
    if (keys.pending) post({ kind: 'events', events: keys.take() });
  };
  /** end of a TUN batch or of a message: sends leave, events go to the main thread */
  const flushAll = (): void => {
    inBatch = false;
    plane.endBatch();
    for (const ep of eps) if (ep.pending > 0) ep.flush();
    if (keys.urgent) sendEvents();
    else if (keys.pending && usageTimer === undefined) usageTimer = setTimeout(sendEvents, USAGE_DELAY_MS);
  };
  const enterBatch = (): void => {
    if (inBatch) return;
    inBatch = true;
    plane.beginBatch();
  };
  const onError = (err: unknown): void =>
    logger.log('error', 'esp', `sealing thread: ${(err as Error).stack ?? String(err)}`);
  const cutter = d.tun.tso ? new TcpSegmenter(new OnesSum(native)) : undefined;
  const loop = startOutboundReader(tun, plane, {
    cutter,
    packetBuffer: d.packetBuffer,
    enterBatch,
    onBatchEnd: flushAll,
    onError,
  });

  port.on('message', (m: ToWorker) => {
    switch (m.kind) {
      case 'status':
        post({
          kind: 'status',
          id: m.id,
          status: {
            dataplane: plane.status(),
            tun: { ...tun.counters },
            ...(cutter ? { tso: { ...cutter.counters } } : {}),
            sockets: eps.map((e) => ({ ...e.counters })),
            raw: raws.map((r) => ({ ...r.counters })),
          },
        });
        return;
      case 'close':
        // stop reading and release the watcher; the fds stay open for the main thread to close
        sendEvents();
        loop.stop();
        tun.close();
        for (const e of eps) void e.close();
        for (const r of raws) r.close();
        void loop.done.finally(() => {
          poller?.close();
          post({ kind: 'closed' });
          port.close();
        });
        return;
      default:
        try {
          applyToSealer(keys, plane, m);
        } catch (e) {
          onError(e);
        }
        flushAll();
    }
  });
  post({ kind: 'ready', backend: backend.name, native: native !== undefined });
}

main();
