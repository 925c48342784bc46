import { type DrainLoop, type DrainLoopOptions, type DrainResult, startDrainLoop } from './drain-loop.js';
import { EBADF, EBADFD, EFAULT } from './libc.js';
import type { TunDevice } from './tun-device.js';

export interface TunReaderOptions extends DrainLoopOptions {
  /** Packets per batch (default 64). */
  readonly batch?: number;
  /** Bytes per packet buffer; at least the device MTU (default 65535, the IPv4 maximum). */
  readonly bufferSize?: number;
  /** Hand out whole frames, virtio_net_hdr included (for a TUN with offloads; default false). */
  readonly frames?: boolean;
  /** After each batch was handed out, also when a callback threw (e.g. to flush the sends it caused). */
  readonly onBatchEnd?: () => void;
}

/**
 * Read packets from `tun` and hand each to `onPacket` until `stop()` or `tun.close()`.
 * `pkt` is a view into a reused buffer: valid only during the callback (copy to keep it).
 * The loop never blocks the event loop; it stops by itself on EBADF/EBADFD (fd gone).
 */
export function startTunReader(
  tun: TunDevice,
  onPacket: (pkt: Uint8Array) => void,
  opts: TunReaderOptions = {},
): DrainLoop {
  const batch = Math.max(1, opts.batch ?? 64);
  const size = Math.max(1, opts.bufferSize ?? 65535);
  const arena = new Uint8Array(batch * size);
  const bufs: Uint8Array[] = [];
  for (let i = 0; i < batch; i++) bufs.push(arena.subarray(i * size, (i + 1) * size));
  const lens = new Int32Array(batch);
  return startDrainLoop(
    {
      get closed() {
        return tun.closed;
      },
      waitReadable: () => tun.waitReadable(),
      drain(): DrainResult {
        const errors = tun.counters.rxErrors;
        const n = tun.readBatch(bufs, lens);
        try {
          // with IFF_VNET_HDR, skip the header (all zero: no offloads were enabled)
          const h = opts.frames ? 0 : tun.vnetHdrLen;
          for (let i = 0; i < n; i++) {
            const len = lens[i] ?? 0;
            if (len > h) onPacket((bufs[i] as Uint8Array).subarray(h, len));
          }
        } finally {
          if (n > 0) opts.onBatchEnd?.();
        }
        if (n === batch) return 'more';
        if (tun.counters.rxErrors !== errors) {
          const e = tun.counters.lastRxErrno;
          if (e === EBADF || e === EBADFD || e === EFAULT) return 'stop';
        }
        return 'empty';
      },
    },
    opts,
  );
}
