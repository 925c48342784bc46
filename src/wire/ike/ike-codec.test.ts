/**
 * The IKEv2 codec against strongSwan 5.9.8's bytes: the IKE_SA_INIT request and response of
 * ../shared/lab/captures/ikev2-natt.pcap (copied to test/vectors/ikev2-natt-init.json), with
 * the field values tshark's isakmp dissector shows for them (`tshark -T json`, quoted below),
 * and the summaries charon logged for that exchange (../shared/lab/results/tunnel-test-ikev2.out:
 * "generating IKE_SA_INIT request 0 [ ... ]"). Malformed inputs are hand-built hex.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { WireError } from '../../util/errors.js';
import { decodeIkeMessage, decodeIkePayloadChain } from './ike-decode.js';
import { encodeIkeMessage, encodeIkePayloadChain } from './ike-encode.js';
import { summarizeIke } from './ike-summary.js';
import type { IkeMessage } from './ike-types.js';

const V = JSON.parse(
  readFileSync(new URL('../../../../test/vectors/ikev2-natt-init.json', import.meta.url), 'utf8'),
) as {
  request: string;
  response: string;
};
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const req = hex(V.request);
const rsp = hex(V.response);

function reencode(m: IkeMessage): Uint8Array {
  const h = m.header;
  return encodeIkeMessage(
    { spiI: h.spiI, spiR: h.spiR, exchangeType: h.exchangeType, flags: h.flags, messageId: h.messageId },
    m.payloads,
  );
}

test("IKE_SA_INIT request: the fields tshark shows, charon's summary, and the same bytes re-encoded", () => {
  const m = decodeIkeMessage(req);
  // isakmp.ispi 86:a8:0d:34:0b:d7:5d:ed, rspi 0, exchangetype 34, version 0x20, messageid 0
  assert.equal(m.header.spiI, 0x86a80d340bd75dedn);
  assert.equal(m.header.spiR, 0n);
  assert.equal(m.header.exchangeType, 34);
  assert.equal(m.header.majorVersion, 2);
  assert.equal(m.header.flags, 0x08);
  assert.equal(m.header.messageId, 0);
  const sa = m.payloads[0];
  assert.ok(sa?.kind === 'SA');
  // prop.number 1, protoid 1 (IKE), 3 transforms: encr 20 (AES-GCM-16), prf 5, dh 31
  assert.equal(sa.proposals[0]?.number, 1);
  assert.equal(sa.proposals[0]?.protocolId, 1);
  assert.deepEqual(
    sa.proposals[0]?.transforms.map((t) => [t.type, t.id]),
    [
      [1, 20],
      [2, 5],
      [4, 31],
    ],
  );
  const ke = m.payloads[1];
  assert.ok(ke?.kind === 'KE');
  assert.equal(ke.dhGroup, 31);
  assert.equal(ke.keyData.length, 32);
  const n = m.payloads.filter((p) => p.kind === 'N');
  // notify.msgtype 16388 (NATD_S_IP) data 8d:25:29:4c..., 16389, 16430, 16431 (data 00:02:00:03:00:04:00:05), 16406
  assert.equal(
    toHex(n.find((x) => x.notifyType === 16388)?.data ?? new Uint8Array()),
    '8d25294c27de90cc86d627d39cd8856d467b844f',
  );
  assert.equal(toHex(n.find((x) => x.notifyType === 16431)?.data ?? new Uint8Array()), '0002000300040005');
  assert.equal(
    summarizeIke(m.header, m.payloads),
    'IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]',
  );
  assert.equal(toHex(reencode(m)), V.request);
});

test("IKE_SA_INIT response: fields, charon's summary, same bytes re-encoded", () => {
  const m = decodeIkeMessage(rsp);
  assert.equal(m.header.spiR, 0x3f8436c1794f2872n);
  assert.equal(m.header.flags, 0x20);
  const nonce = m.payloads.find((p) => p.kind === 'No');
  // isakmp.nonce of frame 2 (32 octets)
  assert.equal(
    toHex(nonce?.kind === 'No' ? nonce.nonce : new Uint8Array()),
    '3898e1802caebfd0b10dda1ec2a2adea80004523ee69a5bc800b134714e748ff',
  );
  assert.equal(
    summarizeIke(m.header, m.payloads),
    'IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(CHDLESS_SUP) N(MULT_AUTH) ]',
  );
  assert.equal(toHex(reencode(m)), V.response);
});

test('the payload chain round-trips every payload kind built by hand (TS, CP, D, IDi, AUTH, SA with key length)', () => {
  // Hand-built inner payloads of an IKE_AUTH response (RFC 7296 §3.5, §3.8, §3.13, §3.15):
  //   (Next Payload: AUTH 0x27, CP 0x2f, SA 0x21, TSi 0x2c, TSr 0x2d, none 0)
  //   IDr  FQDN "gw":      27 00 000a 02000000 6777
  //   AUTH PSK, 4 octets:  2f 00 000c 02000000 01020304
  //   CP   REPLY ADDR 10.99.100.1:  21 00 0010 02000000 0001 0004 0a636401
  //   SA   ESP, SPI c0000001, ENCR 12 keylen 128, INTEG 12, ESN 0:
  //        2c 00 002c  00 00 0028 01 03 04 03 c0000001
  //                    03 00 000c 01 00 000c 800e0080   03 00 0008 03 00 000c   00 00 0008 05 00 0000
  //   TSi 10.99.100.1-10.99.100.1 any:   2d 00 0018 01000000 07 00 0010 0000 ffff 0a636401 0a636401
  //   TSr 10.99.3.0-10.99.3.255 tcp/443: 00 00 0018 01000000 07 06 0010 01bb 01bb 0a630300 0a6303ff
  const bytes = hex(`
    27 00 000a 02000000 6777
    2f 00 000c 02000000 01020304
    21 00 0010 02000000 0001 0004 0a636401
    2c 00 002c 00 00 0028 01 03 04 03 c0000001
      03 00 000c 01 00 000c 800e0080 03 00 0008 03 00 000c 00 00 0008 05 00 0000
    2d 00 0018 01000000 07 00 0010 0000 ffff 0a636401 0a636401
    00 00 0018 01000000 07 06 0010 01bb 01bb 0a630300 0a6303ff`);
  const p = decodeIkePayloadChain(36, bytes);
  assert.deepEqual(
    p.map((x) => x.kind),
    ['IDr', 'AUTH', 'CP', 'SA', 'TSi', 'TSr'],
  );
  const sa = p[3];
  assert.ok(sa?.kind === 'SA');
  assert.deepEqual(sa.proposals[0]?.transforms[0], { type: 1, id: 12, keyLength: 128 });
  const ts = p[5];
  assert.ok(ts?.kind === 'TSr');
  assert.equal(ts.selectors[0]?.ipProtocol, 6);
  assert.equal(ts.selectors[0]?.startPort, 443);
  const again = encodeIkePayloadChain(p);
  assert.equal(again.firstType, 36);
  assert.equal(toHex(again.bytes), toHex(bytes));
});

test('malformed messages: a WireError naming the field and the absolute offset', () => {
  const cases: [string, Uint8Array, RegExp, number][] = [
    [
      'header length larger than the datagram',
      (() => {
        const b = req.slice();
        b[27] = (b[27] ?? 0) + 1;
        return b;
      })(),
      /ike\.length/,
      24,
    ],
    [
      'payload length below 4',
      (() => {
        const b = req.slice();
        b[30] = 0;
        b[31] = 3;
        return b;
      })(),
      /payload\[0\]\(SA\)\.length/,
      30,
    ],
    [
      'transform length overruns its proposal',
      (() => {
        const b = req.slice();
        // SA at 28: generic header 4, proposal header 8, first transform at 40; its length at 42
        b[43] = 0x40;
        return b;
      })(),
      /transform\[0\]/,
      44,
    ],
    ['truncated below the header', req.slice(0, 20), /ike\.message_id/, 20],
  ];
  for (const [name, bytes, path, offset] of cases) {
    assert.throws(
      () => decodeIkeMessage(bytes),
      (e: unknown) => e instanceof WireError && path.test(e.path) && e.offset === offset,
      name,
    );
  }
  // Hand-built: TS of type 7 with a length of 20 (must be 16), and SK not the last payload.
  assert.throws(
    () => decodeIkePayloadChain(44, hex('00 00 001c 01000000 07 00 0014 0000 ffff 0a636401 0a636401 00000000')),
    (e: unknown) => e instanceof WireError && /ts\[0\]\.length/.test(e.path) && e.offset === 10,
  );
  const skNotLast = hex('000000000000000100000000000000002e202300000000010000002421000008000000002900000400000000');
  assert.throws(
    () => decodeIkeMessage(skNotLast),
    (e: unknown) => e instanceof WireError,
  );
});

test('fuzz: mutated captures decode or fail with a WireError, nothing else', () => {
  let decoded = 0;
  let rejected = 0;
  const byCode = new Map<string, number>();
  fc.assert(
    fc.property(
      fc.constantFrom(req, rsp),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert')), {
        minLength: 1,
        maxLength: 4,
      }),
      (base, edits) => {
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
        try {
          decodeIkeMessage(b);
          decoded++;
        } catch (e) {
          if (!(e instanceof WireError)) throw e;
          rejected++;
          byCode.set(e.code, (byCode.get(e.code) ?? 0) + 1);
        }
      },
    ),
    { numRuns: 5000, seed: 7 },
  );
  console.log(
    `fuzz: ${decoded} decoded, ${rejected} rejected (${[...byCode].map(([c, n]) => `${c} ${n}`).join(', ')})`,
  );
  assert.equal(decoded + rejected, 5000);
  assert.ok(rejected > 0 && decoded > 0);
});
