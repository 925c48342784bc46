import type { Poller } from './fd-poller.js';
import { libc, POLLIN } from './libc.js';

/**
 * An fd opened through the FFI whose readiness comes from a Poller (fd-poller.ts; libuv cannot watch
 * it): TUN queues, raw sockets. Owns the fd unless `ownsFd` is false (an fd another thread of
 * this process opened and will close: a data-plane worker's view, daemon/seal-worker.ts):
 * `close()` cancels its waiter, then closes it.
 *
 *   waitReadable() ──poller.wait(fd, POLLIN)──> resolves on POLLIN/POLLERR/POLLHUP, or 0 on cancel
 *   close()        ──poller.cancel(fd)──> close(fd)          (idempotent)
 */
export class PolledFd {
  closed = false;

  constructor(
    readonly fd: number,
    protected readonly poller: Poller,
    readonly ownsFd = true,
  ) {}

  /** Resolves when the fd is readable (or in error), or when it is closed. */
  async waitReadable(): Promise<void> {
    if (this.closed) return;
    await this.poller.wait(this.fd, POLLIN);
  }

  /** Close the fd (idempotent); a pending waitReadable() resolves. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.poller.cancel(this.fd);
    if (this.ownsFd) libc().close(this.fd);
  }
}
