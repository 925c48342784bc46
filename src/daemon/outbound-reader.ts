/**
 * The outbound read loop of the data plane (docs/dataplane.md §10.1), the same in the main
 * thread (dataplane-io.ts) and in the sealing worker (seal-worker.ts): TUN reads handed to
 * Dataplane.fromTun, each read batch one I/O batch (`enterBatch` at its first packet,
 * `onBatchEnd` after it). With TSO on the TUN (`cutter`) a read is a whole frame, up to a
 * 64 KB TCP segment plus the virtio_net_hdr, cut to MSS-sized packets first.
 */
import type { Dataplane } from '../dataplane/dataplane.js';
import type { TcpSegmenter } from '../dataplane/tcp-segmenter.js';
import type { DrainLoop } from '../io/drain-loop.js';
import type { TunDevice } from '../io/tun-device.js';
import { startTunReader } from '../io/tun-reader.js';

export interface OutboundReaderOptions {
  /** cuts TSO frames (the TUN was opened with TUNSETOFFLOAD); absent: one packet per read */
  readonly cutter: TcpSegmenter | undefined;
  /** bytes per read buffer without TSO (at least the TUN MTU) */
  readonly packetBuffer: number;
  readonly enterBatch: () => void;
  readonly onBatchEnd: () => void;
  readonly onError: (err: unknown) => void;
}

export function startOutboundReader(tun: TunDevice, plane: Dataplane, o: OutboundReaderOptions): DrainLoop {
  const { cutter, enterBatch, onBatchEnd, onError } = o;
  if (!cutter)
    return startTunReader(
      tun,
      (pkt) => {
        enterBatch();
        plane.fromTun(pkt);
      },
      { bufferSize: o.packetBuffer, onError, onBatchEnd },
    );
  const fromTun = (pkt: Uint8Array): void => plane.fromTun(pkt);
  return startTunReader(
    tun,
    (frame) => {
      enterBatch();
      cutter.split(frame, fromTun);
    },
    { bufferSize: 65536 + tun.vnetHdrLen, frames: true, batch: 32, onError, onBatchEnd },
  );
}
