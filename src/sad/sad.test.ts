import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../util/clock.js';
import { type IpAddr, parseIp } from '../util/ip-addr.js';
import { type Rng, SeededRng } from '../util/rng.js';
import type { Encapsulation, SaConfig } from './sa-config.js';
import type { SaEntry } from './sa-entry.js';
import { NO_LIMITS, type SaLifetime } from './sa-lifetime.js';
import { Sad } from './sad.js';

const GW = parseIp('192.0.2.1'); // us
const NAT = parseIp('198.51.100.7'); // public address of a NAT with two peers behind it
const PEER = parseIp('203.0.113.9');

const NONE: Encapsulation = { type: 'none', sport: 0, dport: 0 };
const udp = (sport: number, dport: number): Encapsulation => ({ type: 'rfc3948', sport, dport });

function cfg(spi: number, src: IpAddr, dst: IpAddr, encapsulation: Encapsulation = NONE): SaConfig {
  return {
    spi,
    src,
    dst,
    mode: 'tunnel',
    encryption: { algorithm: 'aes-gcm-16', key: new Uint8Array(20) },
    integrity: { algorithm: 'none', key: new Uint8Array(0) },
    encapsulation,
    esn: false,
    replayWindow: 32,
    seq: 1n,
  };
}

/** An Rng that returns the given 32-bit values in turn (big-endian), then repeats the last. */
class ScriptRng implements Rng {
  private i = 0;
  constructor(private readonly values: number[]) {}
  fill(buf: Uint8Array): void {
    const v = this.values[Math.min(this.i++, this.values.length - 1)] ?? 0;
    new DataView(buf.buffer, buf.byteOffset, buf.byteLength).setUint32(0, v >>> 0);
  }
}

const life = (soft: Partial<typeof NO_LIMITS>, hard: Partial<typeof NO_LIMITS>): SaLifetime => ({
  soft: { ...NO_LIMITS, ...soft },
  hard: { ...NO_LIMITS, ...hard },
});

function setup() {
  const clock = new FakeClock(1_000_000);
  const sad = new Sad({ clock });
  return { clock, sad };
}

test('GETSPI creates a larval SA in the default range [0x100, 0x0fffffff], not usable inbound', () => {
  const { sad } = setup();
  const rng = new SeededRng(7n);
  const e = sad.getspi({ src: PEER, dst: GW, reqid: 5, mode: 'tunnel', owner: 42, seq: 9 }, rng);
  assert.equal(e.state, 'larval');
  assert.ok(e.spi >= 0x100 && e.spi <= 0x0fffffff);
  assert.equal(e.owner, 42);
  assert.equal(e.seq, 9);
  assert.equal(e.cfg, undefined);
  assert.equal(sad.lookupInbound(GW, e.spi), undefined);
  assert.equal(sad.get({ dst: GW, spi: e.spi }), e);
  assert.deepEqual(sad.counts(), { larval: 1, mature: 0, dying: 0 });
});

test('GETSPI range edge cases: size 1, reserved values excluded, inverted, exhausted', () => {
  const { sad } = setup();
  const rng = new SeededRng(1n);
  const g = (min: number, max: number, dst = GW) =>
    sad.getspi({ src: PEER, dst, spirange: { min, max }, reqid: 0, mode: 'any', owner: 1, seq: 0 }, rng);
  assert.equal(g(0x1234, 0x1234).spi, 0x1234);
  // the same single SPI is free toward another destination (unique per dst)
  assert.equal(g(0x1234, 0x1234, PEER).spi, 0x1234);
  assert.throws(() => g(0x1234, 0x1234), { name: 'PfkeyError', errno: 2 });
  // 1-255 are reserved (RFC 4303 §2.1): a range inside them is refused, one reaching 256 yields 256
  assert.throws(() => g(1, 255), { errno: 22 });
  assert.throws(() => g(0, 0), { errno: 22 });
  assert.equal(g(0, 256).spi, 256);
  assert.throws(() => g(0x2000, 0x1fff), { errno: 22 });
  assert.throws(() => g(0, 2 ** 32), { errno: 22 });
  // a range of 3 fills up, then ENOENT (linux xfrm_alloc_spi)
  const got = new Set([g(0x3000, 0x3002).spi, g(0x3000, 0x3002).spi, g(0x3000, 0x3002).spi]);
  assert.deepEqual([...got].sort(), [0x3000, 0x3001, 0x3002]);
  assert.throws(() => g(0x3000, 0x3002), { errno: 2 });
});

test('GETSPI finds the last free SPI even when every random pick collides', () => {
  const { sad } = setup();
  const mk = (min: number, max: number, rng: Rng) =>
    sad.getspi({ src: PEER, dst: GW, spirange: { min, max }, reqid: 0, mode: 'any', owner: 1, seq: 0 }, rng);
  for (let s = 0x500; s < 0x510; s++) mk(s, s, new SeededRng(1n));
  // 0x500-0x510 has one free SPI (0x510); the script always picks 0x500 (value 0 mod 17)
  assert.equal(mk(0x500, 0x510, new ScriptRng([0])).spi, 0x510);
});

test('UPDATE completes a larval SA for its owner only; errors are EINVAL / ESRCH', () => {
  const { sad, clock } = setup();
  const e = sad.getspi({ src: PEER, dst: GW, reqid: 5, mode: 'tunnel', owner: 42, seq: 9 }, new SeededRng(3n));
  const c = cfg(e.spi, PEER, GW);
  assert.throws(() => sad.update({ dst: GW, spi: e.spi, owner: 43, cfg: c }), { errno: 22 });
  assert.throws(() => sad.update({ dst: GW, spi: e.spi, owner: 42 }), { errno: 22 });
  assert.throws(() => sad.update({ dst: GW, spi: e.spi, owner: 42, cfg: cfg(e.spi, GW, GW) }), { errno: 22 });
  assert.throws(() => sad.update({ dst: GW, spi: e.spi, owner: 42, cfg: { ...c, mode: 'transport' } }), {
    errno: 22,
  });
  assert.throws(() => sad.update({ dst: GW, spi: e.spi + 1, owner: 42, cfg: c }), { errno: 3 });
  assert.equal(e.state, 'larval');
  clock.advance(5000);
  const m = sad.update({ dst: GW, spi: e.spi, owner: 42, cfg: c, lifetime: life({ addtime: 10 }, { addtime: 20 }) });
  assert.equal(m, e);
  assert.equal(m.state, 'mature');
  assert.equal(m.reqid, 5);
  assert.equal(m.cfg, c);
  // addtime restarts when the SA becomes mature (linux allocates a new state, KAME key_setsaval)
  assert.equal(m.current.addtimeMs, clock.now());
  assert.equal(sad.lookupInbound(GW.bytes, e.spi), m);
});

test('UPDATE of a mature SA changes lifetimes and NAT-T ports only; type change is EINVAL', () => {
  const { sad } = setup();
  const a = sad.add({ cfg: cfg(0x1000, PEER, GW, udp(4500, 4500)) });
  const keys = a.cfg?.encryption;
  const u = sad.update({
    dst: GW,
    spi: 0x1000,
    owner: 7, // owner is not checked on mature SAs (linux)
    cfg: { ...cfg(0x1000, PEER, GW, udp(31000, 4500)), replayWindow: 0 },
    lifetime: life({ bytes: 100n }, {}),
  });
  assert.equal(u.encap.sport, 31000);
  assert.equal(u.cfg?.encapsulation.sport, 31000);
  assert.equal(u.cfg?.replayWindow, 32);
  assert.equal(u.cfg?.encryption, keys);
  assert.equal(u.lifetime.soft.bytes, 100n);
  assert.throws(() => sad.update({ dst: GW, spi: 0x1000, owner: 7, cfg: cfg(0x1000, PEER, GW) }), { errno: 22 });
});

test('ADD: EEXIST on the same identity (larval included); reserved SPIs are EINVAL', () => {
  const { sad } = setup();
  sad.add({ cfg: cfg(0x1000, GW, PEER) });
  assert.throws(() => sad.add({ cfg: cfg(0x1000, GW, PEER) }), { errno: 17 });
  const l = sad.getspi(
    { src: PEER, dst: GW, spirange: { min: 0x2000, max: 0x2000 }, reqid: 0, mode: 'any', owner: 1, seq: 0 },
    new SeededRng(1n),
  );
  assert.throws(() => sad.add({ cfg: cfg(l.spi, PEER, GW) }), { errno: 17 });
  for (const spi of [0, 1, 255, 2 ** 32]) assert.throws(() => sad.add({ cfg: cfg(spi, GW, PEER) }), { errno: 22 });
  assert.throws(() => sad.add({ cfg: cfg(0x3000, GW, parseIp('2001:db8::1')) }), { errno: 22 });
  assert.throws(() => sad.add({ cfg: cfg(0x3000, GW, PEER, udp(4500, 0)) }), { errno: 22 });
  assert.equal(sad.size, 2);
});

test('DELETE / GET: ESRCH when absent or the source differs; returned entry is dead', () => {
  const { sad } = setup();
  const a = sad.add({ cfg: cfg(0x1000, GW, PEER) });
  assert.throws(() => sad.get({ dst: PEER, spi: 0x1001 }), { errno: 3 });
  assert.throws(() => sad.get({ dst: PEER, spi: 0x1000, src: NAT }), { errno: 3 });
  assert.equal(sad.get({ dst: PEER, spi: 0x1000, src: GW }), a);
  const d = sad.delete({ dst: PEER, spi: 0x1000 });
  assert.equal(d.state, 'dead');
  assert.throws(() => sad.delete({ dst: PEER, spi: 0x1000 }), { errno: 3 });
  assert.equal(sad.lookupOutbound({ src: GW, dst: PEER }), undefined);
});

test('two peers behind one NAT may pick the same SPI: keyed by NAT-T port, ambiguity is EINVAL', () => {
  const { sad } = setup();
  const a = sad.add({ cfg: cfg(0x4444, GW, NAT, udp(4500, 40001)), reqid: 1 });
  const b = sad.add({ cfg: cfg(0x4444, GW, NAT, udp(4500, 40002)), reqid: 2 });
  assert.throws(() => sad.add({ cfg: cfg(0x4444, GW, NAT, udp(4500, 40002)) }), { errno: 17 });
  assert.throws(() => sad.get({ dst: NAT, spi: 0x4444 }), { errno: 22 });
  assert.equal(sad.get({ dst: NAT, spi: 0x4444, dport: 40002 }), b);
  assert.equal(sad.lookupOutbound({ src: GW, dst: NAT, dport: 40001 }), a);
  assert.equal(sad.lookupOutbound({ src: GW.bytes, dst: NAT.bytes, reqid: 2 }), b);
  assert.equal(sad.delete({ dst: NAT, spi: 0x4444, dport: 40001 }), a);
  assert.equal(sad.get({ dst: NAT, spi: 0x4444 }), b);
});

test('lookupOutbound prefers mature over dying, then the most recently added', () => {
  const { sad, clock } = setup();
  const old = sad.add({ cfg: cfg(0x1000, GW, PEER), reqid: 3, lifetime: life({ addtime: 10 }, {}) });
  clock.advance(1000);
  const newer = sad.add({ cfg: cfg(0x1001, GW, PEER), reqid: 3, lifetime: life({ addtime: 10 }, {}) });
  assert.equal(sad.lookupOutbound({ src: GW, dst: PEER }), newer);
  assert.equal(sad.lookupOutbound({ src: GW, dst: PEER, reqid: 4 }), undefined);
  // newer goes dying first? No: old was added first, so its soft addtime fires first.
  clock.advance(9000);
  const ev = sad.tick(clock.now());
  assert.deepEqual(
    ev.map((x) => [x.entry.spi, x.which, x.reason]),
    [[0x1000, 'soft', 'addtime']],
  );
  assert.equal(sad.lookupOutbound({ src: GW, dst: PEER }), newer);
  clock.advance(1000);
  sad.tick(clock.now());
  assert.equal(newer.state, 'dying');
  // both dying: the most recently added wins
  assert.equal(sad.lookupOutbound({ src: GW, dst: PEER }), newer);
  const fresh = sad.add({ cfg: cfg(0x1002, GW, PEER), reqid: 3 });
  assert.equal(sad.lookupOutbound({ src: GW, dst: PEER }), fresh);
  assert.equal(old.state, 'dying');
});

test('time lifetimes: soft once, then hard removes; usetime starts at first use', () => {
  const { sad, clock } = setup();
  const t0 = clock.now();
  const a = sad.add({
    cfg: cfg(0x1000, PEER, GW),
    lifetime: life({ addtime: 60, usetime: 5 }, { addtime: 90, usetime: 10 }),
  });
  assert.equal(sad.nextDeadline(), t0 + 60_000);
  clock.advance(1000);
  assert.deepEqual(sad.recordUse(a, 100, 1, clock.now()), []);
  assert.equal(a.current.firstUseMs, t0 + 1000);
  // usetime soft is now the earliest deadline: first use + 5 s
  assert.equal(sad.nextDeadline(), t0 + 6000);
  assert.deepEqual(sad.tick(t0 + 5999), []);
  const soft = sad.tick(t0 + 6000);
  assert.deepEqual(
    soft.map((e) => [e.kind, e.which, e.reason]),
    [['expire', 'soft', 'usetime']],
  );
  assert.equal(a.state, 'dying');
  assert.deepEqual(sad.tick(t0 + 6500), [], 'soft is reported once');
  assert.equal(sad.nextDeadline(), t0 + 11_000);
  const hard = sad.tick(t0 + 11_000);
  assert.deepEqual(
    hard.map((e) => [e.which, e.reason, e.entry.state]),
    [['hard', 'usetime', 'dead']],
  );
  assert.equal(sad.size, 0);
  assert.equal(sad.nextDeadline(), undefined);
  assert.deepEqual(sad.recordUse(a, 1, 1, t0 + 12_000), [], 'a dead SA records nothing');
});

test('time lifetimes by addtime alone; an unused SA never reaches usetime', () => {
  const { sad, clock } = setup();
  const t0 = clock.now();
  sad.add({ cfg: cfg(0x1000, PEER, GW), lifetime: life({ usetime: 1 }, { addtime: 30, usetime: 2 }) });
  assert.equal(sad.nextDeadline(), t0 + 30_000);
  clock.advance(29_999);
  assert.deepEqual(sad.tick(clock.now()), []);
  clock.advance(1);
  assert.deepEqual(
    sad.tick(clock.now()).map((e) => [e.which, e.reason]),
    [['hard', 'addtime']],
  );
});

test('counter lifetimes: bytes and allocations (packets) via recordUse', () => {
  const { sad, clock } = setup();
  const a = sad.add({ cfg: cfg(0x1000, PEER, GW), lifetime: life({ bytes: 1000n }, { bytes: 2000n }) });
  assert.deepEqual(sad.recordUse(a, 999, 1, clock.now()), []);
  assert.deepEqual(
    sad.recordUse(a, 1, 1, clock.now()).map((e) => [e.which, e.reason]),
    [['soft', 'bytes']],
  );
  assert.deepEqual(sad.recordUse(a, 500, 1, clock.now()), []);
  assert.deepEqual(
    sad.recordUse(a, 500n, 1n, clock.now()).map((e) => [e.which, e.reason, e.entry.state]),
    [['hard', 'bytes', 'dead']],
  );
  const b = sad.add({ cfg: cfg(0x1001, PEER, GW), lifetime: life({ allocations: 2 }, { allocations: 3 }) });
  assert.deepEqual(sad.recordUse(b, 10, 1, clock.now()), []);
  assert.equal(sad.recordUse(b, 10, 1, clock.now())[0]?.reason, 'allocations');
  assert.equal(b.current.allocations, 2);
  assert.equal(sad.recordUse(b, 10, 1, clock.now())[0]?.which, 'hard');
  assert.equal(sad.size, 0);
});

test('larval SAs time out after 30 s by default (configurable)', () => {
  const clock = new FakeClock(0);
  const sad = new Sad({ clock });
  const e = sad.getspi({ src: PEER, dst: GW, reqid: 0, mode: 'any', owner: 1, seq: 0 }, new SeededRng(1n));
  assert.equal(sad.nextDeadline(), 30_000);
  assert.deepEqual(sad.tick(29_999), []);
  assert.deepEqual(
    sad.tick(30_000).map((x) => [x.which, x.reason, x.entry.spi]),
    [['hard', 'larval', e.spi]],
  );
  assert.throws(() => sad.update({ dst: GW, spi: e.spi, owner: 1, cfg: cfg(e.spi, PEER, GW) }), { errno: 3 });
  clock.set(30_000);
  const quick = new Sad({ clock, larvalTimeoutMs: 1000 });
  quick.getspi({ src: PEER, dst: GW, reqid: 0, mode: 'any', owner: 1, seq: 0 }, new SeededRng(1n));
  assert.equal(quick.nextDeadline(), 31_000);
});

test('flush and dump are in creation order; counts', () => {
  const { sad } = setup();
  const a = sad.add({ cfg: cfg(0x1000, PEER, GW) });
  const l = sad.getspi({ src: PEER, dst: GW, reqid: 0, mode: 'any', owner: 1, seq: 0 }, new SeededRng(9n));
  const b = sad.add({ cfg: cfg(0x1001, GW, PEER) });
  assert.deepEqual(sad.dump(), [a, l, b]);
  assert.deepEqual(sad.dump('esp'), [a, l, b]);
  assert.deepEqual(sad.counts(), { larval: 1, mature: 2, dying: 0 });
  const gone = sad.flush('esp');
  assert.deepEqual(
    gone.map((e) => e.state),
    ['dead', 'dead', 'dead'],
  );
  assert.equal(sad.size, 0);
  assert.equal(sad.lookupInbound(GW, 0x1000), undefined);
});

test('NAT rebinding with two peers behind one NAT: only the rebound peer and its outbound SA move', () => {
  const { sad, clock } = setup();
  // Peer A (behind NAT, public port 40001) and peer B (same NAT, port 40002). We are GW:4500.
  const inA = sad.add({ cfg: cfg(0xa100, NAT, GW, udp(40001, 4500)), reqid: 1 });
  const outA = sad.add({ cfg: cfg(0xa200, GW, NAT, udp(4500, 40001)), reqid: 1 });
  const inB = sad.add({ cfg: cfg(0xb100, NAT, GW, udp(40002, 4500)), reqid: 2 });
  const outB = sad.add({ cfg: cfg(0xb200, GW, NAT, udp(4500, 40002)), reqid: 2 });
  assert.deepEqual([inA.spi, inB.spi], [0xa100, 0xb100]);
  // A's NAT mapping changes: its packets now come from 198.51.100.7:40099
  clock.advance(100);
  const ch = sad.updateMapping(inA, { addr: NAT, port: 40099 }, clock.now());
  assert.ok(ch);
  assert.equal(ch.sa, inA);
  assert.deepEqual([ch.old.addr.text, ch.old.port, ch.new.port], ['198.51.100.7', 40001, 40099]);
  assert.deepEqual(
    ch.followers.map((f) => [f.entry.spi, f.old.port]),
    [[0xa200, 40001]],
  );
  assert.deepEqual(ch.conflicts, []);
  assert.equal(inA.encap.sport, 40099);
  assert.equal(inA.cfg?.encapsulation.sport, 40099);
  assert.equal(outA.encap.dport, 40099);
  assert.equal(outA.cfg?.encapsulation.dport, 40099);
  assert.equal(inA.mappedMs, clock.now());
  // B is untouched
  assert.equal(inB.encap.sport, 40002);
  assert.equal(outB.encap.dport, 40002);
  assert.equal(sad.lookupOutbound({ src: GW, dst: NAT, dport: 40099 }), outA);
  assert.equal(sad.lookupOutbound({ src: GW, dst: NAT, dport: 40002 }), outB);
  assert.equal(sad.get({ dst: NAT, spi: 0xa200 }), outA);
  // same endpoint again: nothing to do
  assert.equal(sad.updateMapping(inA, { addr: NAT, port: 40099 }, clock.now()), undefined);
});

test('NAT rebinding to a new address moves the outbound SA to the new destination', () => {
  const { sad } = setup();
  const NAT2 = parseIp('198.51.100.8');
  const inA = sad.add({ cfg: cfg(0xa100, NAT, GW, udp(40001, 4500)) });
  const outA = sad.add({ cfg: cfg(0xa200, GW, NAT, udp(4500, 40001)) });
  // an outbound SA toward the same address from another local port is not the reverse path
  const other = sad.add({ cfg: cfg(0xa300, GW, NAT, udp(500, 40001)) });
  const ch = sad.updateMapping(inA, { addr: NAT2, port: 1024 }, 5);
  assert.deepEqual(
    ch?.followers.map((f) => f.entry),
    [outA],
  );
  assert.equal(outA.dst, NAT2);
  assert.equal(outA.cfg?.dst, NAT2);
  assert.equal(inA.src, NAT2);
  assert.equal(sad.lookupOutbound({ src: GW, dst: NAT2 }), outA);
  assert.equal(sad.lookupOutbound({ src: GW, dst: NAT }), other);
  assert.equal(sad.get({ dst: NAT2, spi: 0xa200 }), outA);
  assert.throws(() => sad.get({ dst: NAT, spi: 0xa200 }), { errno: 3 });
});

test('NAT rebinding: an identity clash leaves the outbound SA in place and reports it', () => {
  const { sad } = setup();
  const inA = sad.add({ cfg: cfg(0xa100, NAT, GW, udp(40001, 4500)) });
  const outA = sad.add({ cfg: cfg(0x777, GW, NAT, udp(4500, 40001)) });
  const outB = sad.add({ cfg: cfg(0x777, GW, NAT, udp(4500, 40002)) });
  const ch = sad.updateMapping(inA, { addr: NAT, port: 40002 }, 1);
  assert.deepEqual(ch?.followers, []);
  assert.deepEqual(ch?.conflicts, [outA]);
  assert.equal(outA.encap.dport, 40001);
  assert.equal(outB.encap.dport, 40002);
});

test('updateMapping refuses unencapsulated, larval and cross-family SAs (EINVAL)', () => {
  const { sad } = setup();
  const plain = sad.add({ cfg: cfg(0x1000, PEER, GW) });
  assert.throws(() => sad.updateMapping(plain, { addr: NAT, port: 4500 }, 0), { errno: 22 });
  const enc = sad.add({ cfg: cfg(0x1001, PEER, GW, udp(4500, 4500)) });
  assert.throws(() => sad.updateMapping(enc, { addr: parseIp('2001:db8::1'), port: 4500 }, 0), { errno: 22 });
  assert.throws(() => sad.updateMapping(enc, { addr: NAT, port: 0 }, 0), { errno: 22 });
  const l: SaEntry = sad.getspi({ src: PEER, dst: GW, reqid: 0, mode: 'any', owner: 1, seq: 0 }, new SeededRng(2n));
  assert.throws(() => sad.updateMapping(l, { addr: NAT, port: 4500 }, 0), { errno: 22 });
});

test('expire(): an ESP-engine lifetime event makes the SA dying once (soft) or removes it (hard)', () => {
  const { sad } = setup();
  const e = sad.add({ cfg: cfg(0x1000, PEER, GW) });
  const soft = sad.expire(e, 'soft', 'bytes');
  assert.deepEqual(soft && { which: soft.which, reason: soft.reason }, { which: 'soft', reason: 'bytes' });
  assert.equal(e.state, 'dying');
  assert.equal(sad.expire(e, 'soft', 'bytes'), undefined, 'soft is reported once');
  const hard = sad.expire(e, 'hard', 'allocations');
  assert.equal(hard?.which, 'hard');
  assert.equal(e.state, 'dead');
  assert.equal(sad.size, 0);
  assert.equal(sad.expire(e, 'hard', 'bytes'), undefined, 'a dead SA yields nothing');
  const larval = sad.getspi({ src: PEER, dst: GW, reqid: 0, mode: 'any', owner: 1, seq: 1 }, new SeededRng(3n));
  assert.equal(sad.expire(larval, 'hard', 'bytes'), undefined, 'a larval SA yields nothing');
  assert.equal(larval.state, 'larval');
});
