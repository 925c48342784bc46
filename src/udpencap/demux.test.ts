import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../util/hex.js';
import { type Demuxed, demux, type PortRole, portRoleFor } from './demux.js';
import { frameEsp, frameIke, keepalivePayload } from './framing.js';

// A 28-byte IKEv2 header (RFC 7296 §3.1), hand-built:
const IKE_HDR =
  '5f54f3e8d4c1a2b3' + // IKE SA Initiator's SPI (non-zero)
  '0000000000000000' + // IKE SA Responder's SPI (0 in IKE_SA_INIT request)
  '21 20 22 08' + // Next Payload SA(33), Version 2.0, Exchange IKE_SA_INIT(34), Flags I
  '00000000' + // Message ID 0
  '0000001c'; // Length 28
const IKE_HDR27 = toHex(fromHex(IKE_HDR).subarray(0, 27));
const ESP_MIN = '12345678 00000001 aa'; // SPI 0x12345678, Seq 1, one byte: the shortest ESP accepted (> 8)

type Want = 'keepalive' | ['esp' | 'ike', string] | ['drop', string];
const rows: [PortRole, string, string, Want][] = [
  // role, description, UDP payload (hex), expected
  ['natt', 'empty', '', ['drop', 'empty']],
  ['natt', 'keepalive FF (RFC 3948 §2.3)', 'ff', 'keepalive'],
  ['natt', '1 byte not FF', '00', ['drop', 'short']],
  ['natt', '3 bytes', 'ffffff', ['drop', 'short']],
  ['natt', 'marker alone', '00000000', ['drop', 'short-ike']],
  ['natt', 'marker + 27 bytes', `00000000 ${IKE_HDR27}`, ['drop', 'short-ike']],
  ['natt', 'marker + IKE (RFC 3948 §2.2)', `00000000 ${IKE_HDR}`, ['ike', IKE_HDR]],
  ['natt', "vpnc's 00000000FF is not a keepalive here", '00000000ff', ['drop', 'short-ike']],
  ['natt', 'SPI+Seq only (8 bytes)', '12345678 00000001', ['drop', 'short-esp']],
  ['natt', 'ESP directly after UDP (RFC 3948 §2.1)', ESP_MIN, ['esp', ESP_MIN]],
  ['natt', 'SPI 1 (RFC 4303 §2.1 reserved)', '00000001 00000001 aa', ['drop', 'spi-reserved']],
  ['natt', 'SPI 255', '000000ff 00000001 aa', ['drop', 'spi-reserved']],
  ['natt', 'SPI 256 is fine', '00000100 00000001 aa', ['esp', '00000100 00000001 aa']],
  ['natt', '2-byte FF FF', 'ffff', ['drop', 'short']],
  ['ike', 'keepalive FF tolerated on 500', 'ff', 'keepalive'],
  ['ike', 'empty', '', ['drop', 'empty']],
  ['ike', 'plain IKE, no marker on 500', IKE_HDR, ['ike', IKE_HDR]],
  ['ike', '27 bytes', IKE_HDR27, ['drop', 'short-ike']],
  ['ike', 'a marker on 500 is not stripped (RFC 7296 §2.23)', `00000000 ${IKE_HDR}`, ['ike', `00000000 ${IKE_HDR}`]],
  ['ike', 'ESP-looking bytes are IKE on 500', ESP_MIN, ['drop', 'short-ike']],
  ['ike-encaps-00', 'keepalive FF (udp-encaps-00 §2.3)', 'ff', 'keepalive'],
  ['ike-encaps-00', 'Non-IKE Marker + ESP, 17 bytes', `0000000000000000 ${ESP_MIN}`, ['esp', ESP_MIN]],
  [
    'ike-encaps-00',
    'marker + 8 bytes = 16: not > 16, so IKE',
    '0000000000000000 1234567800000001',
    ['drop', 'short-ike'],
  ],
  ['ike-encaps-00', 'marker + SPI 0', '0000000000000000 00000000 00000001 aa', ['drop', 'spi-zero']],
  ['ike-encaps-00', 'marker + SPI 255', '0000000000000000 000000ff 00000001 aa', ['drop', 'spi-reserved']],
  ['ike-encaps-00', 'plain IKE (cookie non-zero)', IKE_HDR, ['ike', IKE_HDR]],
  ['ike-encaps-00', '4 zero bytes then non-zero: IKE', `00000000 ${IKE_HDR}`, ['ike', `00000000 ${IKE_HDR}`]],
  ['ike-encaps-00', 'short IKE', '5f54f3e8', ['drop', 'short-ike']],
  ['cisco-udp', 'keepalive FF (Shrew)', 'ff', 'keepalive'],
  ['cisco-udp', 'keepalive 00000000FF (vpnc)', '00000000ff', 'keepalive'],
  ['cisco-udp', 'ESP directly after UDP', ESP_MIN, ['esp', ESP_MIN]],
  ['cisco-udp', 'marker + IKE: IKE stays on 500', `00000000 ${IKE_HDR}`, ['drop', 'ike-on-cisco-port']],
  ['cisco-udp', '00000000FE', '00000000fe', ['drop', 'ike-on-cisco-port']],
  ['cisco-udp', '00000000FF00 (6 bytes)', '00000000ff00', ['drop', 'ike-on-cisco-port']],
  ['cisco-udp', 'SPI+Seq only', '12345678 00000001', ['drop', 'short-esp']],
  ['cisco-udp', 'SPI 200', '000000c8 00000001 aa', ['drop', 'spi-reserved']],
  ['cisco-udp', '2 bytes', '0102', ['drop', 'short']],
  ['cisco-udp', 'empty', '', ['drop', 'empty']],
];

function show(d: Demuxed): Want {
  if (d.kind === 'keepalive') return 'keepalive';
  if (d.kind === 'drop') return ['drop', d.reason];
  return d.kind === 'esp' ? ['esp', toHex(d.esp)] : ['ike', toHex(d.ike)];
}
const norm = (w: Want): Want => (typeof w === 'string' || w[0] === 'drop' ? w : [w[0], toHex(fromHex(w[1]))]);

for (const [role, what, hex, want] of rows) {
  test(`demux ${role}: ${what}`, () => {
    assert.deepEqual(show(demux(role, fromHex(hex))), norm(want));
  });
}

test('demux on a natt port: a datagram from port 500 carries no marker (strongSwan receiver.c)', () => {
  assert.deepEqual(show(demux('natt', fromHex(IKE_HDR), 500)), ['ike', toHex(fromHex(IKE_HDR))]);
  assert.deepEqual(show(demux('natt', fromHex(IKE_HDR), 4500)), ['esp', toHex(fromHex(IKE_HDR))]);
  assert.deepEqual(show(demux('natt', fromHex('ff'), 500)), 'keepalive');
  assert.deepEqual(show(demux('natt', fromHex(ESP_MIN), 500)), ['drop', 'short-ike']);
});

test('demux returns views into the payload, not copies', () => {
  const p = fromHex(`00000000 ${IKE_HDR}`);
  const d = demux('natt', p);
  assert.equal(d.kind, 'ike');
  if (d.kind === 'ike') {
    assert.equal(d.ike.buffer, p.buffer);
    assert.equal(d.ike.byteOffset, 4);
  }
});

test('portRoleFor maps framing and local port to the role', () => {
  assert.equal(portRoleFor('rfc3948', 500), 'ike');
  assert.equal(portRoleFor('rfc3948', 4500), 'natt');
  assert.equal(portRoleFor('rfc3948', 31337), 'natt');
  assert.equal(portRoleFor('udp-encaps-00', 500), 'ike-encaps-00');
  assert.equal(portRoleFor('cisco-udp', 10000), 'cisco-udp');
});

const roles: PortRole[] = ['ike', 'natt', 'ike-encaps-00', 'cisco-udp'];

test('property: demux never throws and its results keep their invariants', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...roles),
      fc.uint8Array({ maxLength: 48 }),
      fc.constantFrom(undefined, 500, 4500),
      (role, p, rp) => {
        const d = demux(role, p, rp);
        if (d.kind === 'esp') {
          assert.ok(d.esp.length > 8);
          assert.ok(new DataView(d.esp.buffer, d.esp.byteOffset).getUint32(0) >= 256);
          assert.equal(d.esp.buffer, p.buffer);
        }
        if (d.kind === 'ike') assert.ok(d.ike.length >= 28);
      },
    ),
    { numRuns: 500 },
  );
});

const espArb = fc
  .tuple(fc.integer({ min: 256, max: 0xffffffff }), fc.uint8Array({ minLength: 1, maxLength: 40 }))
  .map(([spi, rest]) => {
    const b = new Uint8Array(4 + rest.length);
    new DataView(b.buffer).setUint32(0, spi);
    b.set(rest, 4);
    return b.length > 8 ? b : new Uint8Array([...b, 0, 0, 0, 0]);
  });
// IKE messages: >= 28 bytes, Initiator SPI / cookie non-zero (RFC 7296 §3.1; udp-encaps-00 §2.1).
const ikeArb = fc
  .tuple(fc.uint8Array({ minLength: 28, maxLength: 60 }), fc.integer({ min: 0, max: 7 }))
  .map(([b, i]) => {
    b[i] = (b[i] as number) | 1;
    return b;
  });

test('property: frameEsp -> demux gives the same ESP for every framing', () => {
  fc.assert(
    fc.property(espArb, fc.constantFrom('rfc3948', 'udp-encaps-00', 'cisco-udp' as const), (esp, framing) => {
      const role = portRoleFor(framing, framing === 'rfc3948' ? 4500 : framing === 'udp-encaps-00' ? 500 : 10000);
      assert.deepEqual(show(demux(role, frameEsp(framing, esp))), ['esp', toHex(esp)]);
    }),
    { numRuns: 300 },
  );
});

test('property: frameIke -> demux gives the same IKE on 500 and on 4500', () => {
  fc.assert(
    fc.property(ikeArb, fc.constantFrom(500, 4500), fc.constantFrom(500, 4500, 1025), (ike, local, remote) => {
      // sent from `local` to `remote`; the receiver's role is that of its own port, `remote`
      const ports = { sport: local, dport: remote };
      const framed = frameIke('rfc3948', ports, ike);
      assert.deepEqual(show(demux(portRoleFor('rfc3948', remote), framed, local)), ['ike', toHex(ike)]);
      if (local === 500 && remote === 500) {
        assert.deepEqual(show(demux('ike-encaps-00', frameIke('udp-encaps-00', ports, ike))), ['ike', toHex(ike)]);
      }
    }),
    { numRuns: 300 },
  );
});

test('keepalive payloads demux as keepalives on the roles that accept them', () => {
  for (const role of roles) assert.deepEqual(show(demux(role, keepalivePayload('ff'))), 'keepalive');
  assert.deepEqual(show(demux('cisco-udp', keepalivePayload('00000000ff'))), 'keepalive');
});
