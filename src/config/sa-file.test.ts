import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '../util/hex.js';
import { DEFAULT_REPLAY_WINDOW, parseSaDocument, parseSaFile } from './sa-file.js';

// 16-byte AES key + 4-byte salt (RFC 4106 §8.1 keying material layout)
const GCM128 = '000102030405060708090a0b0c0d0e0f' + 'cafebabe';

function base(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    spi: '0x0000c0de',
    src: '192.0.2.1',
    dst: '198.51.100.7',
    mode: 'tunnel',
    encryption: { algorithm: 'aes-gcm-16', key: GCM128 },
    integrity: { algorithm: 'none' },
    encapsulation: { type: 'rfc3948', sport: 4500, dport: 4500 },
    esn: false,
    replayWindow: 64,
    seq: 1,
    ...over,
  };
}

function doc(...sas: unknown[]): unknown {
  return { sas };
}

test('the example from docs/sa-file.md parses into SaConfig', () => {
  const [sa] = parseSaDocument(doc(base()));
  assert.ok(sa);
  assert.equal(sa.spi, 0xc0de);
  assert.equal(sa.src.text, '192.0.2.1');
  assert.equal(sa.dst.text, '198.51.100.7');
  assert.equal(sa.mode, 'tunnel');
  assert.equal(sa.encryption.algorithm, 'aes-gcm-16');
  assert.equal(toHex(sa.encryption.key), GCM128);
  assert.equal(sa.integrity.algorithm, 'none');
  assert.equal(sa.integrity.key.length, 0);
  assert.deepEqual(sa.encapsulation, { type: 'rfc3948', sport: 4500, dport: 4500 });
  assert.equal(sa.esn, false);
  assert.equal(sa.replayWindow, 64);
  assert.equal(sa.seq, 1n);
  assert.ok(Object.isFrozen(sa));
});

test('defaults: encapsulation none, esn false, replayWindow 1024 with integrity, 0 without, seq 1', () => {
  const [a, b] = parseSaDocument(
    doc(
      {
        spi: 256,
        src: '2001:db8::1',
        dst: '2001:db8::2',
        mode: 'transport',
        encryption: { algorithm: 'aes-cbc', key: '00'.repeat(32) },
        integrity: { algorithm: 'hmac-sha256-128', key: '11'.repeat(32) },
      },
      {
        spi: 4096,
        src: '2001:db8::1',
        dst: '2001:db8::2',
        mode: 'tunnel',
        encryption: { algorithm: 'aes-cbc', key: '00'.repeat(16) },
      },
    ),
  );
  assert.ok(a && b);
  assert.deepEqual(a.encapsulation, { type: 'none', sport: 0, dport: 0 });
  assert.equal(a.esn, false);
  assert.equal(a.replayWindow, DEFAULT_REPLAY_WINDOW);
  assert.equal(a.seq, 1n);
  assert.equal(a.dst.text, '2001:db8::2');
  assert.equal(b.replayWindow, 0);
  assert.equal(b.integrity.algorithm, 'none');
});

test('key lengths pick AES-128/192/256; salt is part of the keying material', () => {
  for (const [alg, len] of [
    ['aes-gcm-8', 20],
    ['aes-gcm-12', 28],
    ['aes-gcm-16', 36],
    ['aes-gmac', 20],
    ['chacha20-poly1305', 36],
  ] as const) {
    const [sa] = parseSaDocument(doc(base({ encryption: { algorithm: alg, key: 'ab'.repeat(len) } })));
    assert.equal(sa?.encryption.key.length, len, alg);
  }
  const [n] = parseSaDocument(
    doc(base({ encryption: { algorithm: 'null' }, integrity: { algorithm: 'hmac-sha1-96', key: '22'.repeat(20) } })),
  );
  assert.equal(n?.encryption.key.length, 0);
  const [d] = parseSaDocument(
    doc(
      base({
        encryption: { algorithm: '3des-cbc', key: `0x${'33'.repeat(24)}` },
        integrity: { algorithm: 'hmac-md5-96', key: '44'.repeat(16) },
      }),
    ),
  );
  assert.equal(d?.encryption.key.length, 24);
});

test('seq: number or decimal/hex string, 64-bit with ESN; natOa, tfcPadTo, lifetime, keepalive', () => {
  const [sa] = parseSaDocument(
    doc(
      base({
        mode: 'transport',
        esn: true,
        seq: '0x100000000',
        natOa: { src: '10.0.0.5' },
        tfcPadTo: 512,
        lifetime: { softPackets: '1000', hardPackets: 2000 },
        encapsulation: { type: 'cisco-udp', sport: 10000, dport: 10000, keepalive: '00000000ff' },
      }),
    ),
  );
  assert.ok(sa);
  assert.equal(sa.seq, 0x100000000n);
  assert.equal(sa.natOa?.src?.text, '10.0.0.5');
  assert.equal(sa.natOa?.dst, undefined);
  assert.equal(sa.tfcPadTo, 512);
  assert.deepEqual(sa.lifetime, { softPackets: 1000n, hardPackets: 2000n });
  assert.equal(sa.encapsulation.keepalive, '00000000ff');
  const [big] = parseSaDocument(doc(base({ esn: true, seq: '18446744073709551615' })));
  assert.equal(big?.seq, 0xffffffffffffffffn);
});

// Every error path: [description, SA overrides or whole document, expected path]
const BAD: [string, unknown, string][] = [
  ['spi 0', doc(base({ spi: 0 })), 'sas[0].spi'],
  ['spi 255', doc(base({ spi: '255' })), 'sas[0].spi'],
  ['spi > 32 bits', doc(base({ spi: '0x100000000' })), 'sas[0].spi'],
  ['spi not a number', doc(base({ spi: 'c0de' })), 'sas[0].spi'],
  ['spi negative', doc(base({ spi: -5 })), 'sas[0].spi'],
  ['spi missing', doc(base({ spi: undefined })), 'sas[0].spi'],
  ['bad src', doc(base({ src: '192.0.2.300' })), 'sas[0].src'],
  ['mixed families', doc(base({ dst: '2001:db8::1' })), 'sas[0].dst'],
  ['bad mode', doc(base({ mode: 'tunel' })), 'sas[0].mode'],
  ['unknown SA field', doc(base({ spii: 1 })), 'sas[0].spii'],
  [
    'unknown encryption',
    doc(base({ encryption: { algorithm: 'aes-ccm-16', key: GCM128 } })),
    'sas[0].encryption.algorithm',
  ],
  [
    'GCM key without salt',
    doc(base({ encryption: { algorithm: 'aes-gcm-16', key: '00'.repeat(16) } })),
    'sas[0].encryption.key',
  ],
  ['odd hex', doc(base({ encryption: { algorithm: 'aes-gcm-16', key: 'abc' } })), 'sas[0].encryption.key'],
  [
    'non-hex key',
    doc(base({ encryption: { algorithm: 'aes-gcm-16', key: 'zz'.repeat(20) } })),
    'sas[0].encryption.key',
  ],
  [
    'chacha 128-bit key',
    doc(base({ encryption: { algorithm: 'chacha20-poly1305', key: GCM128 } })),
    'sas[0].encryption.key',
  ],
  [
    '3des short key',
    doc(
      base({
        encryption: { algorithm: '3des-cbc', key: '00'.repeat(16) },
        integrity: { algorithm: 'hmac-sha1-96', key: '00'.repeat(20) },
      }),
    ),
    'sas[0].encryption.key',
  ],
  [
    'unknown encryption field',
    doc(base({ encryption: { algorithm: 'aes-gcm-16', key: GCM128, iv: '00' } })),
    'sas[0].encryption.iv',
  ],
  [
    'AEAD with integrity',
    doc(base({ integrity: { algorithm: 'hmac-sha1-96', key: '00'.repeat(20) } })),
    'sas[0].integrity.algorithm',
  ],
  [
    'GMAC with integrity',
    doc(
      base({
        encryption: { algorithm: 'aes-gmac', key: GCM128 },
        integrity: { algorithm: 'hmac-sha256-128', key: '00'.repeat(32) },
      }),
    ),
    'sas[0].integrity.algorithm',
  ],
  ['null without integrity', doc(base({ encryption: { algorithm: 'null' } })), 'sas[0].integrity.algorithm'],
  [
    'hmac key wrong length',
    doc(
      base({
        encryption: { algorithm: 'aes-cbc', key: '00'.repeat(16) },
        integrity: { algorithm: 'hmac-sha256-128', key: '00'.repeat(20) },
      }),
    ),
    'sas[0].integrity.key',
  ],
  ['integrity none with key', doc(base({ integrity: { algorithm: 'none', key: '00' } })), 'sas[0].integrity.key'],
  ['unknown integrity', doc(base({ integrity: { algorithm: 'aes-xcbc-96' } })), 'sas[0].integrity.algorithm'],
  [
    'bad encap type',
    doc(base({ encapsulation: { type: 'rfc3947', sport: 4500, dport: 4500 } })),
    'sas[0].encapsulation.type',
  ],
  ['encap port missing', doc(base({ encapsulation: { type: 'rfc3948', sport: 4500 } })), 'sas[0].encapsulation.dport'],
  [
    'encap port 0',
    doc(base({ encapsulation: { type: 'cisco-udp', sport: 0, dport: 10000 } })),
    'sas[0].encapsulation.sport',
  ],
  [
    'encap port too big',
    doc(base({ encapsulation: { type: 'cisco-udp', sport: 10000, dport: 70000 } })),
    'sas[0].encapsulation.dport',
  ],
  ['ports with none', doc(base({ encapsulation: { type: 'none', sport: 4500 } })), 'sas[0].encapsulation.sport'],
  [
    'bad keepalive',
    doc(base({ encapsulation: { type: 'rfc3948', sport: 4500, dport: 4500, keepalive: 'fe' } })),
    'sas[0].encapsulation.keepalive',
  ],
  ['esn not boolean', doc(base({ esn: 'yes' })), 'sas[0].esn'],
  ['replayWindow negative', doc(base({ replayWindow: -1 })), 'sas[0].replayWindow'],
  ['replayWindow fractional', doc(base({ replayWindow: 1.5 })), 'sas[0].replayWindow'],
  [
    'replayWindow without integrity',
    doc(base({ encryption: { algorithm: 'aes-cbc', key: '00'.repeat(16) }, replayWindow: 32 })),
    'sas[0].replayWindow',
  ],
  ['seq 0', doc(base({ seq: 0 })), 'sas[0].seq'],
  ['seq > 32 bits without ESN', doc(base({ seq: '4294967296' })), 'sas[0].seq'],
  ['seq > 64 bits', doc(base({ esn: true, seq: '18446744073709551616' })), 'sas[0].seq'],
  ['seq unsafe JSON number', doc(base({ esn: true, seq: 2 ** 60 })), 'sas[0].seq'],
  ['natOa in tunnel mode', doc(base({ natOa: { src: '10.0.0.1' } })), 'sas[0].natOa'],
  ['natOa wrong family', doc(base({ mode: 'transport', natOa: { dst: '2001:db8::1' } })), 'sas[0].natOa.dst'],
  ['natOa empty', doc(base({ mode: 'transport', natOa: {} })), 'sas[0].natOa'],
  ['tfcPadTo too big', doc(base({ tfcPadTo: 65536 })), 'sas[0].tfcPadTo'],
  ['lifetime soft > hard', doc(base({ lifetime: { softBytes: 10, hardBytes: 5 } })), 'sas[0].lifetime.softBytes'],
  ['lifetime unknown field', doc(base({ lifetime: { seconds: 10 } })), 'sas[0].lifetime.seconds'],
  ['duplicate (spi, dst)', doc(base(), base({ src: '192.0.2.9' })), 'sas[1].spi'],
  ['SA not an object', doc(base(), 'x'), 'sas[1]'],
  ['no sas', { sas: [] }, 'sas'],
  ['sas not array', { sas: {} }, 'sas'],
  ['unknown top-level field', { sas: [base()], version: 1 }, 'version'],
  ['document not an object', [base()], ''],
];

for (const [what, input, path] of BAD) {
  test(`rejects ${what} at ${path || '(root)'}`, () => {
    assert.throws(() => parseSaDocument(input), { name: 'ConfigError', code: 'config', path });
  });
}

test('same SPI to different destinations is fine; JSON syntax errors are ConfigErrors', () => {
  assert.equal(parseSaDocument(doc(base(), base({ dst: '198.51.100.8' }))).length, 2);
  assert.throws(() => parseSaFile('{"sas": ['), { name: 'ConfigError', path: '' });
  assert.throws(() => parseSaFile(JSON.stringify(doc(base(), base({ mode: 'x' })))), {
    path: 'sas[1].mode',
    message: /^sas\[1\]\.mode: "x" is not one of tunnel, transport$/,
  });
});
