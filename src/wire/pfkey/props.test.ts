/**
 * Property tests: decode(encode(m)) == m for random messages in both dialects; random,
 * mutated and truncated bytes make the decoder throw only WireError; stream framing is
 * independent of how the bytes are chunked.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { WireError } from '../../util/errors.js';
import type { PfkeyDialect } from './constants.js';
import { decodePfkeyMessage } from './decode.js';
import { encodePfkeyMessage } from './encode.js';
import { splitPfkeyStream } from './stream.js';
import type { PfkeyExt, PfkeyMessage, SockAddr } from './types.js';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
/** byte strings whose length is a multiple of 8 (opaque fields the encoder pads) */
const words = (maxWords: number) => fc.integer({ min: 0, max: maxWords }).chain((n) => bytes(n * 8, n * 8));

const sockAddr: fc.Arbitrary<SockAddr> = fc.oneof(
  fc.record({ family: fc.constant(4 as const), addr: bytes(4, 4), port: u16 }),
  fc.record({ family: fc.constant(6 as const), addr: bytes(16, 16), port: u16, flowinfo: u32, scopeId: u32 }),
);

function extArb(d: PfkeyDialect): fc.Arbitrary<PfkeyExt> {
  const addrNames =
    d === 'linux'
      ? (['ADDRESS_SRC', 'ADDRESS_DST', 'ADDRESS_PROXY', 'X_NAT_T_OA'] as const)
      : (['ADDRESS_SRC', 'ADDRESS_DST', 'ADDRESS_PROXY', 'X_NAT_T_OAI', 'X_NAT_T_OAR'] as const);
  const address = fc
    .record({ ext: fc.constantFrom(...addrNames), proto: u8, addr: sockAddr, p: fc.integer({ min: 0, max: 128 }) })
    .map(({ p, ...a }) => ({ ...a, prefixlen: a.addr.family === 4 ? p % 33 : p }));
  const key = fc
    .record({
      ext: fc.constantFrom('KEY_AUTH' as const, 'KEY_ENCRYPT' as const),
      bits: fc.integer({ min: 0, max: 600 }),
    })
    .chain((k) => bytes((k.bits + 7) >> 3, (k.bits + 7) >> 3).map((key) => ({ ...k, key })));
  const comb = fc.record({
    auth: u8,
    encrypt: u8,
    flags: u16,
    authMinbits: u16,
    authMaxbits: u16,
    encryptMinbits: u16,
    encryptMaxbits: u16,
    softAllocations: u32,
    hardAllocations: u32,
    softBytes: u64,
    hardBytes: u64,
    softAddtime: u64,
    hardAddtime: u64,
    softUsetime: u64,
    hardUsetime: u64,
  });
  const reqid = d === 'linux' ? u32 : u16;
  const request = fc.record(
    {
      proto: u16,
      mode: u8,
      level: u8,
      reqid,
      tunnel: fc.record({ src: sockAddr, dst: sockAddr }),
    },
    { requiredKeys: ['proto', 'mode', 'level', 'reqid'] },
  );
  const common: fc.Arbitrary<PfkeyExt>[] = [
    fc.record({ ext: fc.constant('SA' as const), spi: u32, replay: u8, state: u8, auth: u8, encrypt: u8, flags: u32 }),
    fc.record({
      ext: fc.constantFrom('LIFETIME_CURRENT' as const, 'LIFETIME_HARD' as const, 'LIFETIME_SOFT' as const),
      allocations: u32,
      bytes: u64,
      addtime: u64,
      usetime: u64,
    }),
    address,
    key,
    fc.record({
      ext: fc.constantFrom('IDENTITY_SRC' as const, 'IDENTITY_DST' as const),
      identType: u16,
      id: u64,
      text: fc.string({ maxLength: 20 }).filter((t) => !t.includes('\0')),
    }),
    fc.record({
      ext: fc.constant('SENSITIVITY' as const),
      dpd: u32,
      sensLevel: u8,
      integLevel: u8,
      sensBitmap: fc.array(u64, { maxLength: 3 }),
      integBitmap: fc.array(u64, { maxLength: 3 }),
    }),
    fc.record({ ext: fc.constant('PROPOSAL' as const), replay: u8, combs: fc.array(comb, { maxLength: 3 }) }),
    fc.record({
      ext: fc.constantFrom('SUPPORTED_AUTH' as const, 'SUPPORTED_ENCRYPT' as const),
      algs: fc.array(fc.record({ id: u8, ivlen: u8, minbits: u16, maxbits: u16 }), { maxLength: 4 }),
    }),
    fc.record({ ext: fc.constant('SPIRANGE' as const), min: u32, max: u32 }),
    fc.record({ ext: fc.constant('X_KMPRIVATE' as const), data: words(2) }),
    fc.record({
      ext: fc.constant('X_POLICY' as const),
      policyType: u16,
      dir: u8,
      id: u32,
      priority: u32,
      requests: fc.array(request, { maxLength: 3 }),
    }),
    fc.record({ ext: fc.constant('X_SA2' as const), mode: u8, sequence: u32, reqid: u32 }),
    fc.record({ ext: fc.constant('X_NAT_T_TYPE' as const), natType: u8 }),
    fc.record({ ext: fc.constantFrom('X_NAT_T_SPORT' as const, 'X_NAT_T_DPORT' as const), port: u16 }),
    fc.record({
      ext: fc.constant('UNKNOWN' as const),
      type: fc.integer({ min: 29, max: 0xffff }),
      body: words(2).map((b) => new Uint8Array([...b, 1, 2, 3, 4])),
    }),
  ];
  const only: fc.Arbitrary<PfkeyExt>[] =
    d === 'linux'
      ? [fc.record({ ext: fc.constant('X_SEC_CTX' as const), ctxAlg: u8, ctxDoi: u8, ctx: bytes(0, 40) })]
      : [fc.record({ ext: fc.constant('X_NAT_T_FRAG' as const), fraglen: u16 })];
  return fc.oneof(...common, ...only);
}

function messageArb(d: PfkeyDialect): fc.Arbitrary<PfkeyMessage> {
  const header = fc.record({
    version: fc.constant(2),
    type: u8.filter((t) => t !== 11),
    errno: u8,
    satype: u8,
    seq: u32,
    pid: u32,
  });
  return fc.record({ header, extensions: fc.array(extArb(d), { maxLength: 6 }) });
}

function onlyWireErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
  }
}

for (const d of ['linux', 'kame'] as const) {
  test(`${d}: decode(encode(m)) deep-equals m`, () => {
    fc.assert(
      fc.property(messageArb(d), (m) => {
        const wire = encodePfkeyMessage(m, d);
        assert.equal(wire.length % 8, 0);
        assert.equal(new DataView(wire.buffer, wire.byteOffset).getUint16(4, true), wire.length / 8);
        // structuredClone: fast-check records have a null prototype, decoded ones do not
        assert.deepEqual(decodePfkeyMessage(wire, d), structuredClone(m));
      }),
      { numRuns: 300 },
    );
  });

  test(`${d}: random bytes decode or throw WireError only`, () => {
    fc.assert(
      fc.property(bytes(0, 200), (b) => onlyWireErrors(() => decodePfkeyMessage(b, d))),
      { numRuns: 400 },
    );
    // random bytes behind a valid header, so the extension walker is exercised
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 24 }).chain((n) => bytes(n * 8, n * 8)),
        (body) => {
          const b = new Uint8Array(16 + body.length);
          b.set([2, 2, 0, 3, ((16 + body.length) / 8) & 0xff, 0]);
          b.set(body, 16);
          onlyWireErrors(() => decodePfkeyMessage(b, d));
        },
      ),
      { numRuns: 400 },
    );
  });

  test(`${d}: mutated and truncated valid messages throw only WireError`, () => {
    fc.assert(
      fc.property(
        messageArb(d),
        fc.array(fc.tuple(fc.nat(), u8), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (m, flips, cut) => {
          const wire = encodePfkeyMessage(m, d);
          const mutated = wire.slice();
          for (const [pos, v] of flips) mutated[pos % mutated.length] = v;
          onlyWireErrors(() => decodePfkeyMessage(mutated, d));
          const truncated = wire.subarray(0, cut % wire.length);
          assert.throws(() => decodePfkeyMessage(truncated, d), WireError);
        },
      ),
      { numRuns: 300 },
    );
  });
}

test('splitPfkeyStream yields the same messages whatever the chunking', () => {
  fc.assert(
    fc.property(
      fc.array(messageArb('linux'), { minLength: 1, maxLength: 5 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (msgs, cutsRaw) => {
        const wires = msgs.map((m) => encodePfkeyMessage(m, 'linux'));
        const stream = new Uint8Array(wires.reduce((n, w) => n + w.length, 0));
        let o = 0;
        for (const w of wires) {
          stream.set(w, o);
          o += w.length;
        }
        const cuts = [...new Set(cutsRaw.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const got: Uint8Array[] = [];
        let pending: Uint8Array = new Uint8Array();
        let prev = 0;
        for (const c of [...cuts, stream.length]) {
          const chunk = stream.subarray(prev, c);
          prev = c;
          const joined = new Uint8Array(pending.length + chunk.length);
          joined.set(pending);
          joined.set(chunk, pending.length);
          const { messages, rest } = splitPfkeyStream(joined);
          for (const m of messages) got.push(m.slice());
          pending = rest.slice();
        }
        assert.equal(pending.length, 0);
        assert.deepEqual(
          got.map((g) => [...g]),
          wires.map((w) => [...w]),
        );
      },
    ),
    { numRuns: 200 },
  );
});
