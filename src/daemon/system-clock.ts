import type { Clock } from '../util/clock.js';

/**
 * The daemon's clock: monotonic milliseconds (performance.now) offset to the Unix epoch at
 * process start, so the key engine's times read as wall-clock times in LIFETIME_CURRENT while
 * never stepping backwards when the system time is changed.
 */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
};
