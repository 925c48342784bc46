import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_REPLAY_WINDOW, REPLAY, ReplayWindow } from './replay.js';

const TWO32 = 1n << 32n;
const MASK64 = (1n << 64n) - 1n;

/** check() then, when accepted, update(): what the engine does for a packet whose ICV verifies. */
function receive(w: ReplayWindow, seqLow: number): number {
  const hi = w.check(seqLow);
  if (hi === REPLAY) return REPLAY;
  return w.update(hi, seqLow) ? hi : REPLAY;
}

// Numbered edge-case table in the style of wireguard-go replay/replay_test.go:
// window 64, no ESN, first expected seq 1 (right edge 0).
test('window edge cases, W=64, 32-bit sequence numbers', () => {
  const w = new ReplayWindow(64, false, 1n);
  const table: [number, number, boolean][] = [
    [1, 1, true],
    [2, 1, false], // duplicate
    [3, 2, true],
    [4, 64, true],
    [5, 3, true], // inside the window, out of order
    [6, 65, true], // right edge 65: window is [2, 65]
    [7, 1, false], // 65 - 1 = 64 >= W: left of the window
    [8, 2, false], // duplicate at the left edge
    [9, 4, true],
    [10, 200, true], // jump: window [137, 200]
    [11, 137, true], // left edge, unseen
    [12, 136, false], // just left of the window
    [13, 137, false], // duplicate
    [14, 0, false], // seq 0 is never sent (RFC 4303 §3.3.3)
    [15, 0xffff_ffff, true], // jump to the last 32-bit value
    [16, 0xffff_fffe, true],
    [17, 0xffff_ffff, false],
    [18, 0xffff_ffbf, false], // 0xffffffff - 0xffffffbf = 64: just left
    [19, 0xffff_ffc0, true], // left edge
  ];
  for (const [n, seq, ok] of table) {
    assert.equal(receive(w, seq) !== REPLAY, ok, `case ${n}: seq ${seq}`);
  }
  assert.equal(w.rightEdge, 0xffff_ffffn);
});

// ESN, W=32, starting 10 below the first 2^32 boundary (RFC 4303 App. A2.2 cases A and B).
test('window edge cases, W=32, ESN across a 2^32 boundary', () => {
  const w = new ReplayWindow(32, true, 0xffff_fff6n);
  // [n, seqLow, expected inferred high bits or REPLAY, ICV ok (update)]
  const table: [number, number, number, boolean][] = [
    [1, 0xffff_fff6, 0, true], // the first expected packet
    [2, 0x0000_0005, 1, true], // case A: below the window's low bits -> next subspace
    [3, 0xffff_fff7, 0, true], // case B: window spans the boundary, previous subspace, 14 behind
    [4, 0xffff_fff6, REPLAY, false], // duplicate
    [5, 0x0000_0005, REPLAY, false], // duplicate of 2^32 + 5
    [6, 0xffff_ffe6, 0, true], // left edge of [2^32+5-31, 2^32+5]
    [7, 0xffff_ffe5, 1, false], // left of the window: inferred as 2^32 ahead (ICV would fail), not recorded
    [8, 0x0000_0004, 1, true],
    [9, 0x0000_0000, 1, true], // 2^32 itself is a valid ESN sequence number
    [10, 0x0000_0000, REPLAY, false],
  ];
  for (const [n, seq, hi, icvOk] of table) {
    const got = w.check(seq);
    assert.equal(got, hi, `case ${n}: seqLow ${seq.toString(16)}`);
    if (icvOk) assert.equal(w.update(got, seq), true, `case ${n}: update`);
  }
  assert.equal(w.rightEdge, TWO32 + 5n);
});

test('ESN: the 64-bit space never cycles; seq 0 is rejected', () => {
  const top = new ReplayWindow(64, true, MASK64);
  assert.equal(receive(top, 0xffff_ffff), 0xffff_ffff);
  assert.equal(top.check(3), REPLAY); // would be 2^64 + 3
  const zero = new ReplayWindow(64, true, 0n);
  assert.equal(zero.check(0), REPLAY);
  assert.equal(zero.check(1), 0);
});

test('window 0 disables anti-replay but still infers ESN high bits', () => {
  const w = new ReplayWindow(0, true, 0x1_0000_0000n + 5n);
  assert.equal(receive(w, 5), 1);
  assert.equal(receive(w, 5), 1); // duplicates pass: anti-replay is off
  assert.equal(receive(w, 0xffff_fff0), 0); // nearest in sequence space: just below 2^32
  assert.equal(w.check(0x7000_0000), 1);
  const plain = new ReplayWindow(0, false, 1n);
  assert.equal(receive(plain, 0), 0);
  assert.equal(receive(plain, 0), 0);
});

test('the update re-checks: a packet the window passed while it was being verified is a replay', () => {
  const w = new ReplayWindow(32, false, 1n);
  const a = w.check(1);
  assert.equal(a, 0);
  assert.equal(receive(w, 100), 0);
  assert.equal(w.update(a, 1), false);
  const b = w.check(90);
  assert.equal(receive(w, 90), 0);
  assert.equal(w.update(b, 90), false);
});

test('constructor rejects sizes and initial values out of range', () => {
  assert.throws(() => new ReplayWindow(-1, false, 1n), RangeError);
  assert.throws(() => new ReplayWindow(MAX_REPLAY_WINDOW + 1, false, 1n), RangeError);
  assert.throws(() => new ReplayWindow(1.5, false, 1n), RangeError);
  assert.throws(() => new ReplayWindow(32, false, TWO32), RangeError);
  assert.throws(() => new ReplayWindow(32, true, 1n << 64n), RangeError);
  assert.doesNotThrow(() => new ReplayWindow(MAX_REPLAY_WINDOW, true, MASK64));
});

/**
 * Oracle: the set of accepted 64-bit sequence numbers and the right edge T.
 * A packet with true sequence number S is new iff S > T, or T - S < W and S was
 * not accepted before (RFC 4303 §3.4.3). The window only sees the low 32 bits;
 * App. A2.2 must recover S whenever S is in [T - W + 1, T - W + 2^32].
 */
class Oracle {
  readonly seen = new Set<bigint>();
  constructor(
    public t: bigint,
    readonly w: number,
  ) {}
  accepts(s: bigint): boolean {
    if (this.w === 0) return true;
    if (s === 0n) return false;
    if (s > this.t) return true;
    return this.t - s < BigInt(this.w) && !this.seen.has(s);
  }
  record(s: bigint): void {
    if (s > this.t) this.t = s;
    this.seen.add(s);
  }
}

const windowSize = fc.oneof(fc.constantFrom(0, 1, 32, 64, 1024, 65536), fc.integer({ min: 1, max: 3000 }));

const step = fc.record({
  kind: fc.constantFrom('near', 'near', 'near', 'window', 'edge', 'far', 'dup'),
  delta: fc.integer({ min: -70000, max: 70000 }),
  far: fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }),
  icvOk: fc.boolean(),
});

for (const esn of [false, true]) {
  test(`property: agrees with a naive oracle (ESN ${esn ? 'on' : 'off'})`, () => {
    const maxSeq = esn ? MASK64 : TWO32 - 1n;
    const initial = esn
      ? fc.oneof(
          fc.bigInt({ min: 0n, max: MASK64 }),
          fc.bigInt({ min: TWO32 - 100n, max: TWO32 + 100n }),
          fc.bigInt({ min: 0n, max: 100n }),
        )
      : fc.oneof(fc.bigInt({ min: 0n, max: TWO32 - 1n }), fc.bigInt({ min: 0n, max: 100n }));
    fc.assert(
      fc.property(windowSize, initial, fc.array(step, { minLength: 1, maxLength: 300 }), (size, init, steps) => {
        const w = new ReplayWindow(size, esn, init);
        const oracle = new Oracle(init > 0n ? init - 1n : 0n, size);
        let last: bigint | undefined;
        for (const st of steps) {
          let s: bigint;
          if (st.kind === 'dup' && last !== undefined) s = last;
          else if (st.kind === 'window') s = oracle.t - BigInt(Math.abs(st.delta) % Math.max(size, 1));
          else if (st.kind === 'edge')
            s = oracle.t - BigInt(size) + BigInt(st.delta % 3); // around the left edge
          else if (st.kind === 'far') s = oracle.t + st.far;
          else s = oracle.t + BigInt(st.delta);
          if (s < 0n || s > maxSeq) continue;
          const low = Number(s & 0xffff_ffffn);
          const hi = w.check(low);
          const reach = size === 0 ? 2n ** 31n : TWO32 - BigInt(size);
          const inferable = !esn || (s > oracle.t - BigInt(size === 0 ? 2 ** 31 : size) && s - oracle.t <= reach);
          if (!inferable) {
            // outside App. A's recoverable range: whatever the window infers is not S, so the ICV fails
            if (hi !== REPLAY) assert.notEqual((BigInt(hi) << 32n) | BigInt(low), s);
            continue;
          }
          const want = oracle.accepts(s);
          assert.equal(hi !== REPLAY, want, `check(${s}) with T=${oracle.t} W=${size}`);
          if (hi === REPLAY) continue;
          assert.equal((BigInt(hi) << 32n) | BigInt(low), s, 'inferred 64-bit sequence number');
          if (!st.icvOk) continue; // a forged packet never moves the window
          assert.equal(w.update(hi, low), true);
          oracle.record(s);
          last = s;
          assert.equal(w.rightEdge, oracle.t);
        }
      }),
      { numRuns: 250 },
    );
  });
}
