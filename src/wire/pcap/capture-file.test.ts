import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { FIXTURES, fixture } from '../../../test/util/fixtures.js';
import { WireError } from '../../util/errors.js';
import { fromHex, toHex } from '../../util/hex.js';
import { decodeCapture } from './capture-file.js';
import { linkPayload } from './link-layer.js';
import { decodePcap, encodePcap, LINKTYPE_RAW } from './pcap-file.js';
import { decodePcapng } from './pcapng-file.js';

interface ManifestEntry {
  format: 'pcap' | 'pcapng';
  linkType: number | null;
  packets: (string | null)[] | null;
}
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'pcap', 'manifest.json'), 'utf8')) as Record<
  string,
  ManifestEntry
>;

// test/fixtures/make-fixtures.py: scapy builds each frame and records the IP packet it
// put inside (hex); editcap/mergecap convert to pcapng. null = not an IP packet (ARP, AF 7).
for (const [name, m] of Object.entries(manifest)) {
  const expected = m.packets;
  if (!expected) continue;
  test(`${name}: every frame strips to the IP packet scapy built (${m.format}, link type ${m.linkType})`, () => {
    const cap = decodeCapture(fixture('pcap', name));
    assert.equal(cap.format, m.format);
    assert.equal(cap.packets.length, expected.length);
    cap.packets.forEach((p, i) => {
      assert.equal(p.linkType, m.linkType);
      const r = linkPayload(p.linkType, p.data);
      const want = expected[i];
      if (want === null || want === undefined) assert.equal(r.kind, 'other', `${name}[${i}]`);
      else assert.equal(r.kind === 'ip' ? toHex(r.packet) : r.what, want, `${name}[${i}]`);
    });
  });
}

test('big-endian nanosecond pcap: byte order, resolution and timestamps (values from tshark frame.time_epoch)', () => {
  const f = decodePcap(fixture('pcap', 'raw-be-ns.pcap'));
  assert.equal(f.littleEndian, false);
  assert.equal(f.nanosecond, true);
  assert.equal(f.linkType, 101);
  assert.deepEqual(
    f.packets.map((p) => p.timestampNs),
    [1700000000000123501n, 1700000001000123501n],
  );
});

test('pcapng from mergecap: two interfaces (SLL + RAW with if_tsresol 9), timestamps per tshark', () => {
  const f = decodePcapng(fixture('pcap', 'two-interfaces.pcapng'));
  assert.equal(f.sections, 1);
  assert.deepEqual(
    f.interfaces.map((i) => [i.linkType, i.unitsPerSecond]),
    [
      [113, 1_000_000n],
      [101, 1_000_000_000n],
    ],
  );
  assert.deepEqual(
    f.packets.map((p) => [p.interfaceId, p.linkType, p.timestampNs]),
    [
      [0, 113, 1700000000000123000n],
      [1, 101, 1700000000000123501n],
      [0, 113, 1700000001000123000n],
      [1, 101, 1700000001000123501n],
      [0, 113, 1700000002000123000n],
    ],
  );
  const ips = f.packets.map((p) => linkPayload(p.linkType, p.data).kind);
  assert.deepEqual(ips, ['ip', 'ip', 'ip', 'ip', 'other']);
});

// Hand-built pcapng (draft-ietf-opsawg-pcapng §4): a big-endian section, then a little-endian one.
const IP4 = '45000014 00000000 40110000 c0000201 c6336407'; // 20-byte IPv4 header, no payload
const NG = [
  // block[0] SHB, big-endian: type, len 28, BOM, v1.0, section length -1, len
  '0a0d0d0a 0000001c 1a2b3c4d 0001 0000 ffffffffffffffff 0000001c',
  // block[1] IDB: LINKTYPE_RAW, snaplen 0, if_tsresol(9)=0x8a (2^-10 s), opt_endofopt
  '00000001 00000020 0065 0000 00000000 0009 0001 8a000000 0000 0000 00000020',
  // block[2] unknown type 0xbad: skipped
  '00000bad 00000010 deadbeef 00000010',
  // block[3] EPB: if 0, ts 0x400 = 1024 units of 2^-10 s = 1 s, caplen 20, origlen 20
  `00000006 00000034 00000000 00000000 00000400 00000014 00000014 ${IP4} 00000034`,
  // block[4] SPB: original length 20
  `00000003 00000024 00000014 ${IP4} 00000024`,
  // block[5] SHB, little-endian
  '0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000',
  // block[6] IDB: LINKTYPE_IPV4 (228), snaplen 0x40000, no options (microseconds)
  '01000000 14000000 e400 0000 00000400 14000000',
  // block[7] EPB: ts 1000 us
  `06000000 34000000 00000000 00000000 e8030000 14000000 14000000 ${IP4} 34000000`,
];

test('hand-built pcapng: both byte orders, SPB, unknown block, if_tsresol 2^-10, two sections', () => {
  const f = decodePcapng(fromHex(NG.join('')));
  assert.equal(f.sections, 2);
  assert.equal(f.skippedBlocks, 1);
  assert.deepEqual(
    f.packets.map((p) => [p.index, p.interfaceId, p.linkType, p.timestampNs, toHex(p.data)]),
    [
      [0, 0, 101, 1_000_000_000n, fromHexStr(IP4)],
      [1, 0, 101, 0n, fromHexStr(IP4)],
      [2, 0, 228, 1_000_000n, fromHexStr(IP4)],
    ],
  );
});

function fromHexStr(s: string): string {
  return s.replace(/\s/g, '');
}

function mutated(block: number, from: string, to: string): Uint8Array {
  const blocks = [...NG];
  const b = blocks[block] ?? '';
  assert.ok(b.includes(from), `${from} in block ${block}`);
  blocks[block] = b.replace(from, to);
  return fromHex(blocks.join(''));
}

test('pcapng errors name the block and field', () => {
  const cases: [Uint8Array, string, string][] = [
    [mutated(3, '00000014 00000014', '00000100 00000100'), 'capture.block[3](EPB).captured_len', 'overrun'],
    [mutated(3, '00000014 00000014', '00000014 00000010'), 'capture.block[3](EPB).captured_len', 'bad-value'],
    [
      mutated(2, 'deadbeef 00000010', 'deadbeef 00000014'),
      'capture.block[2](0xbad).trailing_total_length',
      'bad-value',
    ],
    [mutated(2, '00000bad 00000010', '00000bad 0000000f'), 'capture.block[2](0xbad).total_length', 'bad-value'],
    [mutated(3, '00000034 00000000', '00000034 00000005'), 'capture.block[3](EPB).interface_id', 'bad-value'],
    [mutated(0, '1a2b3c4d', '1a2b3c4e'), 'capture.block[0](SHB).byte_order_magic', 'bad-value'],
    [mutated(0, '0001 0000', '0002 0000'), 'capture.block[0](SHB).major_version', 'bad-value'],
    [
      mutated(1, '0009 0001 8a000000', '0009 0002 8a000000'),
      'capture.block[1](IDB).option[0](if_tsresol).length',
      'bad-value',
    ],
    [mutated(1, '0009 0001 8a000000', '0009 0009 8a000000'), 'capture.block[1](IDB).option[0].value', 'truncated'],
    [
      fromHex(NG.slice(0, 4).join('')).subarray(0, 28 + 32 + 16 + 40),
      'capture.block[3](EPB).total_length',
      'truncated',
    ],
    [fromHex(NG.slice(1).join('')), 'capture.block[0].type', 'bad-value'],
  ];
  for (const [buf, path, code] of cases) {
    assert.throws(() => decodePcapng(buf), { name: 'WireError', path, code }, path);
  }
});

// Hand-built classic pcap, little-endian, microseconds (draft-ietf-opsawg-pcap §4-5)
const PCAP_HDR = 'd4c3b2a1 0200 0400 00000000 00000000 ffff0000 65000000';
const REC = `00f15365 7b000000 14000000 14000000 ${IP4}`; // 1700000000 s + 123 us, 20/20 bytes

test('pcap errors name the record and field', () => {
  assert.equal(decodePcap(fromHex(PCAP_HDR + REC)).packets[0]?.timestampNs, 1700000000000123000n);
  const cases: [string, string, string][] = [
    [PCAP_HDR + REC.replace('14000000 14000000', '14000000 10000000'), 'capture.record[0].incl_len', 'bad-value'],
    [PCAP_HDR + REC + REC.slice(0, -8), 'capture.record[1].data', 'truncated'],
    [`${PCAP_HDR + REC}00f15365`, 'capture.record[1].header', 'truncated'],
    [PCAP_HDR + REC.replace('7b000000', '40420f00'), 'capture.record[0].ts_usec', 'bad-value'],
    [PCAP_HDR.replace('0200 0400', '0300 0000'), 'capture.header.version', 'bad-value'],
    [PCAP_HDR.replace('65000000', '65000400'), 'capture.header.linktype', 'bad-value'],
    [PCAP_HDR.slice(0, 30), 'capture.header', 'truncated'],
  ];
  for (const [hex, path, code] of cases) {
    assert.throws(() => decodePcap(fromHex(hex)), { name: 'WireError', path, code }, path);
  }
  assert.throws(() => decodeCapture(fromHex('00112233')), { name: 'WireError', path: 'capture.magic' });
});

test('encodePcap writes the libpcap LINKTYPE_RAW header and records (hand-built expected bytes)', () => {
  const out = encodePcap([{ timestampNs: 1700000000000123456n, data: fromHex(IP4) }]);
  assert.equal(toHex(out), fromHexStr(`d4c3b2a1 0200 0400 00000000 00000000 00000400 65000000 ${REC}`));
});

test('property: encodePcap -> decodePcap round trip', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          ts: fc.bigInt({ min: 0n, max: 0xffffffffn * 1_000_000_000n }),
          data: fc.uint8Array({ maxLength: 64 }),
        }),
        {
          maxLength: 8,
        },
      ),
      (recs) => {
        const f = decodePcap(encodePcap(recs.map((r) => ({ timestampNs: r.ts, data: r.data }))));
        assert.equal(f.linkType, LINKTYPE_RAW);
        assert.deepEqual(
          f.packets.map((p) => [p.timestampNs, toHex(p.data)]),
          recs.map((r) => [r.ts - (r.ts % 1000n), toHex(r.data)]),
        );
      },
    ),
    { numRuns: 200 },
  );
});

test('property: mutated captures and random frames only ever raise WireError', () => {
  const seeds = [
    fixture('pcap', 'ethernet-vlan.pcapng'),
    fixture('pcap', 'two-interfaces.pcapng'),
    fixture('pcap', 'null.pcap'),
    fromHex(NG.join('')),
  ];
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: seeds.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      fc.nat(),
      (which, edits, cut) => {
        const b = (seeds[which] as Uint8Array).slice();
        for (const [at, v] of edits) b[at % b.length] = v;
        const input = b.subarray(0, b.length - (cut % 8));
        try {
          const cap = decodeCapture(input);
          for (const p of cap.packets) {
            try {
              linkPayload(p.linkType, p.data);
            } catch (e) {
              if (!(e instanceof WireError)) throw e;
            }
          }
        } catch (e) {
          if (!(e instanceof WireError)) throw e;
        }
      },
    ),
    { numRuns: 400 },
  );
});

test('short link headers are WireErrors naming the field', () => {
  assert.throws(() => linkPayload(1, fromHex('02000000000202000000000108')), {
    name: 'WireError',
    path: 'frame.ethernet.ethertype',
  });
  assert.throws(() => linkPayload(1, fromHex('020000000002020000000001 8100 000a')), {
    path: 'frame.vlan[0].ethertype',
  });
  assert.throws(() => linkPayload(113, fromHex('0000 0001 0006')), { path: 'frame.sll.header' });
  assert.throws(() => linkPayload(276, fromHex('0800')), { path: 'frame.sll2.header' });
  assert.throws(() => linkPayload(0, fromHex('0200')), { path: 'frame.null.family' });
  assert.deepEqual(linkPayload(147, fromHex(IP4)), { kind: 'other', what: 'link type 147' });
  assert.equal(linkPayload(229, fromHex(IP4)).kind, 'other');
});
