import { EAGAIN, ENOBUFS } from './libc.js';

/**
 * How a refused transmit (write(2), sendto(2)) is counted, for the fds the data path writes
 * one packet at a time (TUN, raw ESP). EINTR is not a refusal: the caller retries it.
 *
 *   errno    counter        meaning
 *   EAGAIN   txDropAgain    queue full, packet dropped (non-blocking fd)
 *   ENOBUFS  txDropNoBufs   no buffer space in the kernel, packet dropped
 *   other    txErrors       e.g. EINVAL (malformed packet), EIO (link down), EBADF
 *
 * The counter names are the ones `esprit status` shows.
 */
export interface TxErrnoCounters {
  txDropAgain: number;
  txDropNoBufs: number;
  txErrors: number;
  lastTxErrno: number;
}

/** Count a transmit refused with `errno` (not EINTR) and remember it in `lastTxErrno`. */
export function countTxError(k: TxErrnoCounters, errno: number): void {
  k.lastTxErrno = errno;
  if (errno === EAGAIN) k.txDropAgain++;
  else if (errno === ENOBUFS) k.txDropNoBufs++;
  else k.txErrors++;
}
