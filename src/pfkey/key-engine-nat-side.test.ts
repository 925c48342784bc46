/**
 * The esprit NAT side bits of sadb_sa_flags (private-values.ts): 0x00010000 keepalive,
 * 0x00020000 float. The SA extensions below are hand-built hex (RFC 2367 §2.3.1 sadb_sa:
 * len u16, exttype u16, spi u32 network order, replay u8, state u8, auth u8, encrypt u8,
 * flags u32 host order = little-endian), not test-buffers' sa().
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../util/clock.js';
import { SeededRng } from '../util/rng.js';
import { encodePfkeyMessage, type PfkeyDialect } from '../wire/pfkey/index.js';
import { KeyEngine } from './key-engine.js';
import { address, hex, key, msg, natPort, natType, sa2, toHex } from './test-buffers.js';

const GCM_KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f' + 'cafebabe';

// sadb_sa, SPI 0x00010001, replay 32, state 1 (MATURE), auth 0, encrypt 20 (AES-GCM-16)
const SA_HEAD = '0200 0100  00010001  20 01 00 14';
const FLAGS_NONE = '00000000';
const FLAGS_KEEPALIVE = '00000100'; // 0x00010000 LE
const FLAGS_FLOAT = '00000200'; // 0x00020000 LE
const FLAGS_BOTH_CYCSEQ = '40000300'; // 0x00030040 LE: CYCSEQ (KAME 0x40) + keepalive + float

function addMsg(d: PfkeyDialect, flagsHex: string, seq: number, type = 3): Uint8Array {
  return msg(
    { type, satype: 3, seq, pid: 99 },
    hex(`${SA_HEAD} ${flagsHex}`),
    address(d, 5, '198.51.100.7'),
    address(d, 6, '192.0.2.1'),
    key(9, GCM_KEY),
    sa2(2, 1),
    natType(2),
    natPort(21, 61000),
    natPort(22, 4500),
  );
}

function setup() {
  return new KeyEngine({ clock: new FakeClock(1_700_000_000_000), rng: new SeededRng(3n) });
}

for (const d of ['linux', 'kame'] as const) {
  test(`${d}: ADD flags 0x00030040 -> natKeepalive + natFloat; echoed in the ADD reply and GET`, () => {
    const engine = setup();
    const c = engine.connect(d, 99);
    const out = engine.receive(c, addMsg(d, FLAGS_BOTH_CYCSEQ, 1));
    assert.equal(out[0]?.message.header.errno, 0);
    const e = engine.sad.dump()[0];
    assert.equal(e?.cfg?.natKeepalive, true);
    assert.equal(e?.cfg?.natFloat, true);
    const replySa = toHex(encodePfkeyMessage(out[0]?.message ?? assert.fail(), d)).slice(32, 64);
    assert.equal(replySa, toHex(hex(`${SA_HEAD} ${FLAGS_BOTH_CYCSEQ}`)));
    const get = engine.receive(
      c,
      msg(
        { type: 5, satype: 3, seq: 2, pid: 99 },
        hex(`${SA_HEAD} ${FLAGS_NONE}`),
        address(d, 5, '198.51.100.7'),
        address(d, 6, '192.0.2.1'),
      ),
    );
    const getSa = toHex(encodePfkeyMessage(get[0]?.message ?? assert.fail(), d)).slice(32, 64);
    assert.equal(getSa, toHex(hex(`${SA_HEAD} ${FLAGS_BOTH_CYCSEQ}`)));
  });
}

test('ADD without the bits: neither (as the Linux kernel: it never floats or sends keepalives itself)', () => {
  const engine = setup();
  const c = engine.connect('linux', 99);
  engine.receive(c, addMsg('linux', FLAGS_NONE, 1));
  const cfg = engine.sad.dump()[0]?.cfg;
  assert.equal(cfg?.natKeepalive, undefined);
  assert.equal(cfg?.natFloat, undefined);
});

test('ADD keepalive only / float only map to one field each', () => {
  for (const [flags, k, f] of [
    [FLAGS_KEEPALIVE, true, undefined],
    [FLAGS_FLOAT, undefined, true],
  ] as const) {
    const engine = setup();
    const c = engine.connect('linux', 99);
    engine.receive(c, addMsg('linux', flags, 1));
    const cfg = engine.sad.dump()[0]?.cfg;
    assert.equal(cfg?.natKeepalive, k);
    assert.equal(cfg?.natFloat, f);
  }
});

test('UPDATE of a mature SA without keys keeps its NAT side (as Linux xfrm_state_update: lifetimes and encap only)', () => {
  const engine = setup();
  const c = engine.connect('linux', 99);
  engine.receive(c, addMsg('linux', FLAGS_KEEPALIVE, 1));
  // SA ext with auth 0 / encrypt 0 and no KEY_*: an UPDATE of lifetimes/NAT-T/flags only
  const upd = msg(
    { type: 2, satype: 3, seq: 2, pid: 99 },
    hex(`0200 0100  00010001  20 01 00 00 ${FLAGS_FLOAT}`),
    address('linux', 5, '198.51.100.7'),
    address('linux', 6, '192.0.2.1'),
    natType(2),
    natPort(21, 61001),
    natPort(22, 4500),
  );
  const out = engine.receive(c, upd);
  assert.equal(out[0]?.message.header.errno, 0);
  const e = engine.sad.dump()[0];
  assert.equal(e?.cfg?.natKeepalive, true);
  assert.equal(e?.cfg?.natFloat, undefined);
  assert.equal(e?.encap.sport, 61001);
  const sa =
    (engine.sad.dump()[0] && engine.receive(c, msg({ type: 10, satype: 3, seq: 3, pid: 99 }))[0]?.message) ??
    assert.fail();
  assert.equal(
    toHex(encodePfkeyMessage(sa, 'linux')).slice(32, 64),
    toHex(hex(`${SA_HEAD} ${FLAGS_KEEPALIVE}`)),
    'DUMP shows the bits of the SA as it is',
  );
  assert.equal(e?.cfg?.encryption.algorithm, 'aes-gcm-16', 'keys kept');
});
