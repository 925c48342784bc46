/**
 * Properties (fast-check): random and mutated messages from several clients of both dialects
 * never make receive() throw, and a refused message (an error reply) leaves the SAD and SPD
 * exactly as they were; DUMP of N SAs yields N messages with sadb_msg_seq N-1 .. 0.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FakeClock } from '../util/clock.js';
import { SeededRng } from '../util/rng.js';
import { KeyEngine } from './key-engine.js';
import {
  address,
  type Dialect,
  ipsecrequest,
  key,
  lifetime,
  msg,
  natPort,
  natType,
  policy,
  sa,
  sa2,
  spirange,
  toHex,
} from './test-buffers.js';

const GCM_KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f' + 'cafebabe';
const ADDRS = ['192.0.2.1', '198.51.100.7', '10.0.0.5', '2001:db8::1'];

function state(engine: KeyEngine): string {
  return JSON.stringify({ sas: engine.sad.dump(), spd: engine.spd.dump() }, (_k, v) =>
    typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? toHex(v) : v,
  );
}

function errors(engine: KeyEngine): number {
  return Object.entries(engine.stats)
    .filter(([k]) => k.startsWith('error.'))
    .reduce((n, [, v]) => n + v, 0);
}

/** A plausible message of a random type, with random (often wrong) fields. */
const plausible = (d: Dialect) =>
  fc
    .record({
      type: fc.integer({ min: 0, max: 26 }),
      satype: fc.constantFrom(0, 1, 2, 3, 3, 3, 9),
      seq: fc.nat(),
      spi: fc.oneof(fc.constantFrom(0x1000, 0x1001, 0x2000), fc.nat({ max: 0xffff })),
      src: fc.constantFrom(...ADDRS),
      dst: fc.constantFrom(...ADDRS),
      encrypt: fc.constantFrom(0, 3, 12, 20, 23, 28, 99),
      auth: fc.constantFrom(0, 2, 3, 5, 250),
      replay: fc.integer({ min: 0, max: 255 }),
      withKey: fc.boolean(),
      withNat: fc.boolean(),
      withLife: fc.integer({ min: 0, max: 3 }),
      natT: fc.constantFrom(0, 1, 2, 0xf0, 7),
      mode: fc.integer({ min: 0, max: 4 }),
      pol: fc.record({
        type: fc.integer({ min: 0, max: 4 }),
        dir: fc.integer({ min: 0, max: 4 }),
        level: fc.integer({ min: 0, max: 4 }),
        reqid: fc.nat({ max: 0x5000 }),
        id: fc.nat({ max: 40 }),
      }),
    })
    .map((r) => {
      const exts: Uint8Array[] = [];
      if (r.type === 14 || r.type === 13 || r.type === 15 || r.type === 16 || r.type === 22) {
        exts.push(
          address(d, 5, r.src, 255, r.src.includes(':') ? 64 : 24),
          address(d, 6, r.dst, 255, r.dst.includes(':') ? 64 : 24),
        );
        const tunnel = r.src.includes(':') === r.dst.includes(':') ? ([r.src, r.dst] as const) : undefined;
        exts.push(
          policy(
            r.pol.type,
            r.pol.dir,
            r.pol.id,
            0,
            ipsecrequest(d, 50, r.mode, r.pol.level, r.pol.reqid, r.mode === 2 ? tunnel : undefined),
          ),
        );
      } else {
        exts.push(
          sa(r.spi, r.replay, 1, r.auth, r.encrypt),
          address(d, 5, r.src),
          address(d, 6, r.dst),
          sa2(r.mode, r.pol.reqid),
        );
        if (r.withKey) exts.push(key(9, GCM_KEY));
        if (r.withNat) exts.push(natType(r.natT), natPort(21, 4500), natPort(22, 61000));
        if (r.withLife & 1) exts.push(lifetime(3, 0, 0n, 60n, 0n));
        if (r.withLife & 2) exts.push(lifetime(4, 0, 0n, 50n, 0n));
        if (r.type === 1) exts.push(spirange(0x1000, 0x1003));
      }
      return msg({ type: r.type, satype: r.satype, seq: r.seq, pid: 1 }, ...exts);
    });

const mutated = (d: Dialect) =>
  fc
    .tuple(plausible(d), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat())
    .map(([b, flips, cut]) => {
      const out = b.slice();
      for (const [i, v] of flips) out[i % out.length] = v;
      return cut % 5 === 0 ? out.subarray(0, cut % (out.length + 1)) : out;
    });

test('random and mutated messages from several clients: never throw, refusals leave state unchanged', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.integer({ min: 0, max: 2 }),
          fc.oneof(
            plausible('linux'),
            mutated('linux'),
            plausible('kame'),
            mutated('kame'),
            fc.uint8Array({ maxLength: 64 }),
          ),
        ),
        { minLength: 1, maxLength: 12 },
      ),
      (steps) => {
        const engine = new KeyEngine({ clock: new FakeClock(1000), rng: new SeededRng(3n) });
        const clients = [engine.connect('linux', 1), engine.connect('kame', 2), engine.connect('linux', 3)];
        for (const [who, bytes] of steps) {
          const c = clients[who] as number;
          const before = state(engine);
          const errs = errors(engine);
          const out = engine.receive(c, bytes);
          assert.ok(Array.isArray(out));
          if (errors(engine) > errs) {
            assert.equal(state(engine), before, 'a refused message changes nothing');
            const last = out.filter((x) => x.to === c).at(-1);
            assert.ok(
              last && last.message.header.errno !== 0 && last.message.extensions.length === 0,
              'error reply to the sender',
            );
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('DUMP of N SAs: N messages to the sender, seq N-1 down to 0', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.integer({ min: 0x100, max: 0xffff }), { minLength: 1, maxLength: 20 }),
      fc.constantFrom<Dialect>('linux', 'kame'),
      (spis, d) => {
        const engine = new KeyEngine({ clock: new FakeClock(0), rng: new SeededRng(1n) });
        const c = engine.connect(d, 9);
        for (const spi of spis) {
          const r = engine.receive(
            c,
            msg(
              { type: 3, satype: 3, seq: 1, pid: 9 },
              sa(spi, 0, 1, 0, 20),
              address(d, 5, '192.0.2.1'),
              address(d, 6, '198.51.100.7'),
              key(9, GCM_KEY),
            ),
          );
          assert.equal(r[0]?.message.header.errno, 0);
        }
        const dump = engine.receive(c, msg({ type: 10, satype: 0, seq: 5, pid: 9 }));
        assert.equal(dump.length, spis.length);
        assert.deepEqual(
          dump.map((x) => x.message.header.seq),
          spis.map((_, i) => spis.length - 1 - i),
        );
        assert.deepEqual(
          dump.map((x) => {
            const s = x.message.extensions[0];
            return s?.ext === 'SA' ? s.spi : -1;
          }),
          spis,
        );
      },
    ),
    { numRuns: 200 },
  );
});
