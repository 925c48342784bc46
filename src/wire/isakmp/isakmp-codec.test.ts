/**
 * The ISAKMP codec against real IKEv1 messages: strongSwan 5.9.8 Main Mode and Quick Mode
 * (../shared/lab/captures/ikev1-natt.pcap) and vpnc 0.5.3 Aggressive Mode
 * (vpnc-natt/none/cisco-udp.pcap), copied with the values Wireshark's isakmp dissector gives
 * for them into test/vectors/isakmp-captures.json by test/vectors/gen/isakmp-captures.py.
 * Every message is checked field by field against tshark's values; the literals below are
 * quoted from the same tshark output, the summaries from charon's log of that run
 * (../shared/lab/results/tunnel-test-ikev1.out: "generating ID_PROT request 0 [ KE No NAT-D
 * NAT-D ]"). Payloads no capture holds in clear (Mode Config, NAT-OA, Delete, Notify,
 * fragments) are hand-built hex from the layouts of RFC 2408 §3.14-3.15, RFC 3947 §5.2,
 * mode-cfg-05 §3.2 and ../shared/docs/protocol-facts.md §1.4/§3.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { WireError } from '../../util/errors.js';
import { attributeNumber } from './data-attribute.js';
import { decodeIsakmpMessage, decodeIsakmpPayloadChain } from './isakmp-decode.js';
import { encodeIsakmpEncrypted, encodeIsakmpMessage, encodeIsakmpPayloadChain } from './isakmp-encode.js';
import { summarizeIsakmp } from './isakmp-summary.js';
import type { IsakmpMessage, IsakmpPayload } from './isakmp-types.js';

interface Vector {
  capture: string;
  frame: number;
  name: string;
  hex: string;
  tshark: Record<string, string>;
}
const V = JSON.parse(
  readFileSync(new URL('../../../../test/vectors/isakmp-captures.json', import.meta.url), 'utf8'),
) as { messages: Vector[] };
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const msg = (capture: string, name: string): Uint8Array => {
  const v = V.messages.find((m) => m.capture === capture && m.name === name);
  assert.ok(v, `${capture} ${name}`);
  return hex(v.hex);
};

function reencode(m: IsakmpMessage): Uint8Array {
  const h = m.header;
  const fields = { spiI: h.spiI, spiR: h.spiR, exchangeType: h.exchangeType, flags: h.flags, messageId: h.messageId };
  return m.encrypted
    ? encodeIsakmpEncrypted(fields, h.nextPayload, m.encrypted)
    : encodeIsakmpMessage(fields, m.payloads);
}

/** tshark's flat lists (isakmp.typepayload etc.) rebuilt from our decoded payloads. */
function flat(payloads: IsakmpPayload[]) {
  const f = {
    types: [] as number[],
    propNumbers: [] as number[],
    transNumbers: [] as number[],
    transIds: [] as number[],
    attrTypes: [] as number[],
    attrValues: [] as string[],
    vids: [] as string[],
    natHashes: [] as string[],
  };
  for (const p of payloads) {
    switch (p.kind) {
      case 'SA':
        f.types.push(1);
        for (const pr of p.proposals) {
          f.types.push(2);
          f.propNumbers.push(pr.number);
          for (const t of pr.transforms) {
            f.types.push(3);
            f.transNumbers.push(t.number);
            f.transIds.push(t.id);
            for (const a of t.attributes) {
              f.attrTypes.push(a.type);
              f.attrValues.push(toHex(a.value));
            }
          }
        }
        break;
      case 'V':
        f.types.push(13);
        f.vids.push(toHex(p.data));
        break;
      case 'NAT-D':
        f.types.push(p.draft ? 130 : 20);
        f.natHashes.push(toHex(p.hash));
        break;
      default:
        f.types.push({ KE: 4, ID: 5, HASH: 8, No: 10 }[p.kind as 'KE'] ?? -1);
    }
  }
  return f;
}
const list = (s: string | undefined): string[] => (s ? s.split(',').filter((x) => x !== '') : []);
const nums = (s: string | undefined): number[] => list(s).map(Number);

test('every captured message: the header and payload fields tshark shows, and the same bytes re-encoded', () => {
  assert.equal(V.messages.length, 21);
  for (const v of V.messages) {
    const at = `${v.capture} ${v.name}`;
    const b = hex(v.hex);
    const m = decodeIsakmpMessage(b);
    const t = v.tshark;
    assert.equal(m.header.spiI.toString(16).padStart(16, '0'), t['isakmp.ispi'], at);
    assert.equal(m.header.spiR.toString(16).padStart(16, '0'), t['isakmp.rspi'], at);
    assert.equal(m.header.exchangeType, Number(t['isakmp.exchangetype']), at);
    assert.equal(m.header.flags, Number(t['isakmp.flags']), at);
    assert.equal(m.header.messageId, Number(t['isakmp.messageid']), at);
    assert.equal(m.header.length, Number(t['isakmp.length']), at);
    assert.equal(m.header.majorVersion, 1);
    if (m.encrypted) {
      assert.equal(m.header.flags & 1, 1, at);
      assert.equal(m.encrypted.length, b.length - 28, at);
      assert.equal(m.header.nextPayload, nums(t['isakmp.nextpayload'])[0], at);
    } else {
      const f = flat(m.payloads);
      assert.deepEqual(f.types, nums(t['isakmp.typepayload']), at);
      assert.deepEqual(f.propNumbers, nums(t['isakmp.prop.number']), at);
      assert.deepEqual(f.transNumbers, nums(t['isakmp.trans.number']), at);
      assert.deepEqual(f.transIds, nums(t['isakmp.trans.id']), at);
      assert.deepEqual(f.attrTypes, nums(t['isakmp.ike.attr.type']), at);
      assert.deepEqual(f.attrValues, list(t['isakmp.ike.attr.value']), at);
      assert.deepEqual(f.vids, list(t['isakmp.vid_bytes']), at);
      assert.deepEqual(f.natHashes, list(t['isakmp.ike.nat_hash']), at);
      const no = m.payloads.find((p) => p.kind === 'No');
      assert.equal(no?.kind === 'No' ? toHex(no.nonce) : '', t['isakmp.nonce'], at);
      const h = m.payloads.find((p) => p.kind === 'HASH');
      assert.equal(h?.kind === 'HASH' ? toHex(h.data) : '', t['isakmp.hash'], at);
      const id = m.payloads.find((p) => p.kind === 'ID');
      if (id?.kind === 'ID') {
        assert.equal(id.idType, Number(t['isakmp.id.type']), at);
        assert.equal(id.protocolId, Number(t['isakmp.id.protoid']), at);
        assert.equal(id.port, Number(t['isakmp.id.port']), at);
      } else assert.equal(t['isakmp.id.type'], '', at);
    }
    assert.equal(toHex(reencode(m)), v.hex, at);
  }
});

test('strongSwan Main Mode 1 and 3/4: literal fields and the summaries charon logged', () => {
  const mm1 = decodeIsakmpMessage(msg('ikev1-natt.pcap', 'MM1'));
  // isakmp.ispi a939b2c47f50decd, exchangetype 2, length 180; SA DOI 1 situation 1,
  // proposal 1 ISAKMP, transform 1 KEY_IKE: AES-CBC(7) Key-Length 128 SHA2-256(4) group 14 PSK(1) life 15840 s
  assert.equal(mm1.header.spiI, 0xa939b2c47f50decdn);
  const sa = mm1.payloads[0];
  assert.ok(sa?.kind === 'SA');
  assert.equal(sa.doi, 1);
  assert.equal(sa.situation, 1);
  assert.equal(sa.proposals.length, 1);
  assert.equal(sa.proposals[0]?.protocolId, 1);
  assert.equal(sa.proposals[0]?.spi.length, 0);
  const tr = sa.proposals[0]?.transforms[0];
  assert.equal(tr?.id, 1);
  assert.deepEqual(
    tr?.attributes.map((a) => [a.type, a.form, attributeNumber(a)]),
    [
      [1, 'tv', 7],
      [14, 'tv', 128],
      [2, 'tv', 4],
      [4, 'tv', 14],
      [3, 'tv', 1],
      [11, 'tv', 1],
      [12, 'tv', 15840],
    ],
  );
  // vid_bytes: XAUTH (8 octets), DPD, FRAGMENTATION + 80000000, RFC 3947, draft-02\n
  assert.equal(summarizeIsakmp(mm1.header, mm1.payloads, false), 'ID_PROT request 0 [ SA V V V V V ]');
  const mm3 = decodeIsakmpMessage(msg('ikev1-natt.pcap', 'MM3'));
  assert.equal(summarizeIsakmp(mm3.header, mm3.payloads, false), 'ID_PROT request 0 [ KE No NAT-D NAT-D ]');
  const ke = mm3.payloads[0];
  assert.ok(ke?.kind === 'KE');
  assert.equal(ke.keyData.length, 256); // payload length 260: MODP-2048
  const mm4 = decodeIsakmpMessage(msg('ikev1-natt.pcap', 'MM4'));
  assert.equal(summarizeIsakmp(mm4.header, mm4.payloads, true), 'ID_PROT response 0 [ KE No NAT-D NAT-D ]');
  // isakmp.ike.nat_hash: SHA2-256 sized (32 octets), the negotiated hash (RFC 3947 §3.2)
  const natd = mm4.payloads[2];
  assert.ok(natd?.kind === 'NAT-D' && !natd.draft);
  assert.equal(toHex(natd.hash).slice(0, 16), '1e56907c696fe528');
  assert.equal(natd.hash.length, 32);
  const qm1 = decodeIsakmpMessage(msg('ikev1-natt.pcap', 'QM1'));
  // Quick Mode, E flag, message ID 0x84ec86ba, first payload HASH (8), length 444
  assert.equal(qm1.header.exchangeType, 32);
  assert.equal(qm1.header.messageId, 0x84ec86ba);
  assert.equal(qm1.header.nextPayload, 8);
  assert.equal(qm1.encrypted?.length, 444 - 28);
});

test('vpnc Aggressive Mode 1 and 2: proposal 0, 24 transforms, XAUTH PSK, 4-octet Life-Duration TLV, KEY_ID', () => {
  const am1 = decodeIsakmpMessage(msg('vpnc-natt.pcap', 'AM1'));
  assert.equal(am1.header.exchangeType, 4);
  const sa = am1.payloads[0];
  assert.ok(sa?.kind === 'SA');
  // prop.number 0 (vpnc numbers from 0), 24 transforms numbered 0..23
  assert.equal(sa.proposals[0]?.number, 0);
  assert.equal(sa.proposals[0]?.transforms.length, 24);
  const t0 = sa.proposals[0]?.transforms[0];
  // t=14 0100, t=1 0007, t=2 0002, t=4 0002, t=3 fde9 (XAUTHInitPreShared 65001), t=11 0001, t=12 l=4 0020c49b
  assert.deepEqual(
    t0?.attributes.map((a) => [a.type, a.form, attributeNumber(a)]),
    [
      [14, 'tv', 256],
      [1, 'tv', 7],
      [2, 'tv', 2],
      [4, 'tv', 2],
      [3, 'tv', 65001],
      [11, 'tv', 1],
      [12, 'tlv', 2147483],
    ],
  );
  const id = am1.payloads.find((p) => p.kind === 'ID');
  // id.type 11 (KEY_ID), protoid 17, port 500, data "labgroup" (payload length 16)
  assert.ok(id?.kind === 'ID');
  assert.equal(new TextDecoder().decode(id.data), 'labgroup');
  assert.equal(
    summarizeIsakmp(am1.header, am1.payloads, false),
    'AGGRESSIVE request 0 [ SA KE No ID V V V V V V V V ]',
  );
  const am2 = decodeIsakmpMessage(msg('vpnc-natt.pcap', 'AM2'));
  assert.equal(
    summarizeIsakmp(am2.header, am2.payloads, true),
    'AGGRESSIVE response 0 [ SA KE No ID V V V NAT-D NAT-D HASH ]',
  );
  const gwId = am2.payloads.find((p) => p.kind === 'ID');
  // id.type 2 (FQDN) "gw.lab", protoid 0, port 0
  assert.ok(gwId?.kind === 'ID');
  assert.equal(new TextDecoder().decode(gwId.data), 'gw.lab');
  const am3 = decodeIsakmpMessage(msg('vpnc-natt.pcap', 'AM3'));
  // AM3 arrives on 4500 (marker stripped), encrypted, first payload HASH
  assert.equal(am3.header.flags, 1);
  assert.equal(am3.header.nextPayload, 8);
});

test('hand-built payloads: Mode Config with XAUTH and Cisco Unity, NAT-OA, Delete, DPD notify, fragment', () => {
  // Next Payload: N 0x0b, D 0x0c, ATTR 0x0e, NAT-OA 0x15, NAT-OA draft 0x83, none 0
  //  HASH 20 octets:                           0e 00 0018 <20 x 11>
  //  ATTR CFG_REQUEST id 20: ADDR(1) len 0, U_NATTPORT 0x7005 len 0 (vpnc), X_USER len 4 "user"
  //                                            15 00 0018 01 00 0014 0001 0000 7005 0000 4089 0004 75736572
  //  NAT-OA (21) IPv4 10.99.1.2:               83 00 000c 01 000000 0a630102
  //  NAT-OA draft (131) IPv6 fd99:1::2:        0b 00 0018 05 000000 fd990001000000000000000000000002
  //  N DPD R-U-THERE (36136 = 0x8d28) ISAKMP SPI CKY-I|CKY-R, seq 0x00000001:
  //                                            0c 00 0020 00000001 01 10 8d28 <16 x aa> 00000001
  //  D ESP 2 SPIs:                             00 00 0014 00000001 03 04 0002 c0000001 c0000002
  const bytes = hex(`
    0e 00 0018 1111111111111111111111111111111111111111
    15 00 0018 01 00 0014 0001 0000 7005 0000 4089 0004 75736572
    83 00 000c 01 000000 0a630102
    0b 00 0018 05 000000 fd990001000000000000000000000002
    0c 00 0020 00000001 01 10 8d28 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 00000001
    00 00 0014 00000001 03 04 0002 c0000001 c0000002`);
  const p = decodeIsakmpPayloadChain(8, bytes);
  assert.deepEqual(
    p.map((x) => x.kind),
    ['HASH', 'ATTR', 'NAT-OA', 'NAT-OA', 'N', 'D'],
  );
  const attr = p[1];
  assert.ok(attr?.kind === 'ATTR');
  assert.equal(attr.identifier, 20);
  assert.deepEqual(
    attr.attributes.map((a) => [a.type, a.form, toHex(a.value)]),
    [
      [1, 'tlv', ''],
      [0x7005, 'tlv', ''],
      [16521, 'tlv', '75736572'],
    ],
  );
  const oa = p[2];
  assert.ok(oa?.kind === 'NAT-OA' && !oa.draft && oa.idType === 1 && toHex(oa.address) === '0a630102');
  const oa6 = p[3];
  assert.ok(oa6?.kind === 'NAT-OA' && oa6.draft && oa6.idType === 5 && oa6.address.length === 16);
  const n = p[4];
  assert.ok(n?.kind === 'N' && n.notifyType === 36136 && n.spi.length === 16 && toHex(n.data) === '00000001');
  const d = p[5];
  assert.ok(d?.kind === 'D' && d.protocolId === 3 && d.spis.length === 2);
  assert.equal(toHex(encodeIsakmpPayloadChain(p)), toHex(bytes));
  const header = decodeIsakmpMessage(msg('vpnc-natt.pcap', 'TRANSACTION1')).header;
  assert.equal(
    summarizeIsakmp(header, p, false),
    'TRANSACTION request 2115519252 [ HASH CPRQ(ADDR U_NATTPORT X_USER) NAT-OA NAT-OA N(DPD) D ]',
  );
  // Gateway's CFG_REPLY with the Cisco UDP port as a basic attribute: F0 05 27 10 (10000)
  const reply = decodeIsakmpPayloadChain(14, hex('00 00 000c 02 00 0014 f005 2710'));
  assert.ok(reply[0]?.kind === 'ATTR');
  assert.deepEqual(
    reply[0].attributes.map((a) => [a.type, a.form, attributeNumber(a)]),
    [[0x7005, 'tv', 10000]],
  );
  // Cisco fragment 2 of message 0x0102, last: 84 header | id 0102 | number 02 | flags 01 | data
  const frag = decodeIsakmpPayloadChain(132, hex('00 00 000b 0102 02 01 abcdef'));
  assert.deepEqual(frag, [{ kind: 'FRAG', fragmentId: 0x0102, fragmentNumber: 2, last: true, data: hex('abcdef') }]);
  assert.equal(summarizeIsakmp(header, frag, false), 'TRANSACTION request 2115519252 [ FRAG(2/2) ]');
  // Decrypted bodies end in cipher padding (RFC 2409 §5.3): ignored only when asked.
  const padded = hex('00 00 0008 01020304 000000000007');
  assert.equal(decodeIsakmpPayloadChain(8, padded, { padded: true }).length, 1);
  assert.throws(() => decodeIsakmpPayloadChain(8, padded), { code: 'trailing', path: 'isakmp.E.payloads' });
});

test('malformed input: the typed error names the field and the absolute offset', () => {
  const mm1 = msg('ikev1-natt.pcap', 'MM1');
  const edit = (b: Uint8Array, at: number, v: number) => {
    const c = b.slice();
    c[at] = v;
    return c;
  };
  const cases: [string, Uint8Array, { code: string; path: string; offset: number }][] = [
    ['truncated below the header', mm1.slice(0, 20), { code: 'truncated', path: 'isakmp.message_id', offset: 20 }],
    ['IKEv2 version', edit(mm1, 17, 0x20), { code: 'unsupported', path: 'isakmp.version', offset: 17 }],
    ['header length larger', edit(mm1, 27, 181), { code: 'truncated', path: 'isakmp.length', offset: 24 }],
    [
      'payload length below 4',
      edit(edit(mm1, 30, 0), 31, 3),
      { code: 'bad-value', path: 'isakmp.payload[0](SA).length', offset: 30 },
    ],
    // SA at 28: DOI at 32, situation at 36, proposal at 40, transform at 48 (length at 50)
    ['DOI 2', edit(mm1, 35, 2), { code: 'unsupported', path: 'isakmp.payload[0](SA).doi', offset: 32 }],
    [
      'situation SECRECY',
      edit(mm1, 39, 3),
      { code: 'unsupported', path: 'isakmp.payload[0](SA).situation', offset: 36 },
    ],
    [
      'proposal next payload 5',
      edit(mm1, 40, 5),
      { code: 'bad-value', path: 'isakmp.payload[0](SA).proposal[0].next_payload', offset: 40 },
    ],
    [
      'transform overruns its proposal',
      edit(mm1, 51, 0x40),
      { code: 'truncated', path: 'isakmp.payload[0](SA).proposal[0].transform[0]', offset: 52 },
    ],
    [
      'more transforms announced',
      edit(mm1, 47, 2),
      { code: 'bad-value', path: 'isakmp.payload[0](SA).proposal[0].transform[0].next_payload', offset: 48 },
    ],
    // first VID at 84 (SA length 56); its next payload 3 (a transform at top level)
    ['transform outside an SA', edit(mm1, 28, 3), { code: 'bad-value', path: 'isakmp.payload[1](TRANS)', offset: 84 }],
  ];
  for (const [name, bytes, want] of cases) {
    assert.throws(
      () => decodeIsakmpMessage(bytes),
      (e: unknown) => {
        assert.ok(e instanceof WireError, name);
        assert.deepEqual({ code: e.code, path: e.path, offset: e.offset }, want, name);
        return true;
      },
    );
  }
  // Hand-built: NAT-OA of ID type 2; Delete whose SPI count disagrees; fragment number 0;
  // a fragment payload followed by another payload; a TLV attribute longer than its transform.
  const chain: [number, string, { code: string; path: string; offset: number }][] = [
    [
      21,
      '00 00 000c 02 000000 0a630102',
      { code: 'bad-value', path: 'isakmp.E.payload[0](NAT-OA).id_type', offset: 4 },
    ],
    [
      12,
      '00 00 0010 00000001 03 04 0002 c0000001',
      { code: 'bad-value', path: 'isakmp.E.payload[0](D).num_spis', offset: 10 },
    ],
    [132, '00 00 0008 0001 00 01', { code: 'bad-value', path: 'isakmp.E.payload[0](FRAG).fragment_number', offset: 6 }],
    [
      132,
      '0d 00 0008 0001 01 01 00 00 0004',
      { code: 'bad-value', path: 'isakmp.E.payload[0](FRAG).next_payload', offset: 0 },
    ],
    [
      14,
      '00 00 000c 01 00 0000 7005 0002',
      { code: 'truncated', path: 'isakmp.E.payload[0](CP).attribute[0].value', offset: 12 },
    ],
  ];
  for (const [first, h, want] of chain) {
    assert.throws(
      () => decodeIsakmpPayloadChain(first, hex(h)),
      (e: unknown) => {
        assert.ok(e instanceof WireError, h);
        assert.deepEqual({ code: e.code, path: e.path, offset: e.offset }, want, h);
        return true;
      },
    );
  }
});

test('fuzz: mutated captures decode or fail with a WireError, nothing else', () => {
  const bases = V.messages.map((m) => hex(m.hex));
  let decoded = 0;
  let rejected = 0;
  fc.assert(
    fc.property(
      fc.constantFrom(...bases),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert')), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.boolean(),
      (base, edits, fixLength) => {
        let b = base.slice();
        for (const [pos, val, op] of edits) {
          const at = pos % (b.length + 1);
          if (op === 'set' && at < b.length) b[at] = val;
          else if (op === 'cut') b = b.slice(0, at);
          else {
            const nb = new Uint8Array(b.length + 1);
            nb.set(b.subarray(0, at));
            nb[at] = val;
            nb.set(b.subarray(at), at + 1);
            b = nb;
          }
        }
        // half the runs keep the header length right so the mutation reaches the payloads
        if (fixLength && b.length >= 28) new DataView(b.buffer, b.byteOffset).setUint32(24, b.length);
        try {
          decodeIsakmpMessage(b);
          decoded++;
        } catch (e) {
          if (!(e instanceof WireError)) throw e;
          rejected++;
        }
      },
    ),
    { numRuns: 5000, seed: 9 },
  );
  assert.equal(decoded + rejected, 5000);
  assert.ok(rejected > 0 && decoded > 0);
});

test('property: decode(encode(payloads)) deep-equals the payloads', () => {
  const bytes = (max: number) => fc.uint8Array({ maxLength: max });
  const attr = fc.oneof(
    fc.record({
      type: fc.integer({ min: 0, max: 0x7fff }),
      form: fc.constant('tv' as const),
      value: fc.uint8Array({ minLength: 2, maxLength: 2 }),
    }),
    fc.record({ type: fc.integer({ min: 0, max: 0x7fff }), form: fc.constant('tlv' as const), value: bytes(40) }),
  );
  const transform = fc.record({
    number: fc.integer({ min: 0, max: 255 }),
    id: fc.integer({ min: 0, max: 255 }),
    attributes: fc.array(attr, { maxLength: 5 }),
  });
  const proposal = fc.record({
    number: fc.integer({ min: 0, max: 255 }),
    protocolId: fc.integer({ min: 0, max: 255 }),
    spi: bytes(8),
    transforms: fc.array(transform, { maxLength: 4 }),
  });
  const payload: fc.Arbitrary<IsakmpPayload> = fc.oneof(
    fc.record({
      kind: fc.constant('SA' as const),
      doi: fc.constant(1),
      situation: fc.constantFrom(0, 1),
      proposals: fc.array(proposal, { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ kind: fc.constant('KE' as const), keyData: bytes(64) }),
    fc.record({
      kind: fc.constant('ID' as const),
      idType: fc.integer({ min: 0, max: 255 }),
      protocolId: fc.integer({ min: 0, max: 255 }),
      port: fc.integer({ min: 0, max: 65535 }),
      data: bytes(20),
    }),
    fc.record({
      kind: fc.constantFrom('CERT' as const, 'CR' as const),
      encoding: fc.integer({ min: 0, max: 255 }),
      data: bytes(20),
    }),
    fc.record({ kind: fc.constantFrom('HASH' as const, 'SIG' as const, 'V' as const), data: bytes(32) }),
    fc.record({ kind: fc.constant('No' as const), nonce: bytes(32) }),
    fc.record({
      kind: fc.constant('N' as const),
      doi: fc.nat(),
      protocolId: fc.integer({ min: 0, max: 255 }),
      spi: bytes(16),
      notifyType: fc.integer({ min: 0, max: 65535 }),
      data: bytes(8),
    }),
    fc.integer({ min: 0, max: 4 }).chain((spiSize) =>
      fc.record({
        kind: fc.constant('D' as const),
        doi: fc.nat(),
        protocolId: fc.integer({ min: 0, max: 255 }),
        spiSize: fc.constant(spiSize),
        spis: fc.array(fc.uint8Array({ minLength: spiSize, maxLength: spiSize }), { maxLength: 3 }),
      }),
    ),
    fc.record({
      kind: fc.constant('ATTR' as const),
      cfgType: fc.integer({ min: 0, max: 255 }),
      identifier: fc.integer({ min: 0, max: 65535 }),
      attributes: fc.array(attr, { maxLength: 5 }),
    }),
    fc.record({ kind: fc.constant('NAT-D' as const), draft: fc.boolean(), hash: bytes(32) }),
    fc.constantFrom(1, 5).chain((idType) =>
      fc.record({
        kind: fc.constant('NAT-OA' as const),
        draft: fc.boolean(),
        idType: fc.constant(idType),
        address: fc.uint8Array({ minLength: idType === 1 ? 4 : 16, maxLength: idType === 1 ? 4 : 16 }),
      }),
    ),
  );
  fc.assert(
    fc.property(fc.array(payload, { minLength: 1, maxLength: 6 }), (ps) => {
      const enc = encodeIsakmpMessage({ spiI: 1n, spiR: 2n, exchangeType: 2, flags: 0, messageId: 0 }, ps);
      const m = decodeIsakmpMessage(enc);
      assert.deepEqual(m.payloads, structuredClone(ps));
    }),
    { numRuns: 500, seed: 3 },
  );
});
