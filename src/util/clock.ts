/**
 * Monotonic time in milliseconds, injected into every sans-IO core.
 * Cores never call Date.now or setTimeout themselves.
 */
export interface Clock {
  now(): number;
}

/** A clock that moves only when told to (tests). */
export class FakeClock implements Clock {
  private t: number;
  constructor(start = 0) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}
