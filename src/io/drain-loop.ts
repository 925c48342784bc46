import { setImmediate as yieldTurn } from 'node:timers/promises';

/**
 * The reader loop shared by TUN devices and raw sockets: drain in bounded batches, give the
 * event loop a turn between bursts, and wait for readability (an async `poll()` off the
 * event loop) only when the source is empty.
 *
 *   ┌─> drain() x maxBatchesPerTurn ── batch full? ── yes ─> setImmediate ─┐
 *   │                                   │ no                                 │
 *   │                                   └──> await waitReadable() ─────────>─┤
 *   └────────────────────────────────────────────────────────────────────────┘
 */

/** Result of one `drain()`: 'more' (batch was full), 'empty' (EAGAIN), or 'stop' (fatal error). */
export type DrainResult = 'more' | 'empty' | 'stop';

export interface DrainSource {
  drain(): DrainResult;
  waitReadable(): Promise<void>;
  readonly closed: boolean;
}

export interface DrainLoopOptions {
  /** Batches drained before yielding to the event loop (default 4). */
  readonly maxBatchesPerTurn?: number;
  /**
   * Called when `drain()` (that is, the packet callback) throws; the loop goes on.
   * Without it the loop stops and `done` rejects with the error.
   */
  readonly onError?: (err: unknown) => void;
}

export interface DrainLoop {
  /** Stop after the current batch; `done` then resolves. */
  stop(): void;
  /** Settles when the loop ends: stop(), source closed, or a fatal read error ('stop'). */
  readonly done: Promise<void>;
}

export function startDrainLoop(src: DrainSource, opts: DrainLoopOptions = {}): DrainLoop {
  const maxBatches = Math.max(1, opts.maxBatchesPerTurn ?? 4);
  let stopped = false;
  const run = async (): Promise<void> => {
    while (!stopped && !src.closed) {
      let r: DrainResult = 'empty';
      for (let i = 0; i < maxBatches; i++) {
        try {
          r = src.drain();
        } catch (err) {
          if (!opts.onError) throw err;
          opts.onError(err);
          r = 'more';
        }
        if (r !== 'more' || stopped) break;
      }
      if (r === 'stop') return;
      if (r === 'more') await yieldTurn();
      else await src.waitReadable();
    }
  };
  // Start on a later turn so the caller can keep references before the first packet.
  const done = yieldTurn().then(run);
  return {
    stop: () => {
      stopped = true;
    },
    done,
  };
}
