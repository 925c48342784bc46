import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ikev1BlockSize, ikev1Decrypt, ikev1KeyLength } from '../../../src/crypto/ikev1/ikev1-cipher.js';
import {
  deriveSkeyids,
  encryptionKey,
  hash1,
  phase1Hash,
  phase1Iv,
  phase2Iv,
  quickModeHash2,
  quickModeHash3,
  quickModeKeymat,
} from '../../../src/crypto/ikev1/ikev1-keymat.js';
import { decodeIsakmpMessage, decodeIsakmpPayloadChain } from '../../../src/wire/isakmp/isakmp-decode.js';
import { encodeIsakmpPayloadChain } from '../../../src/wire/isakmp/isakmp-encode.js';
import { summarizeIsakmp } from '../../../src/wire/isakmp/isakmp-summary.js';
import type { IsakmpMessage, IsakmpPayload } from '../../../src/wire/isakmp/isakmp-types.js';
import { run } from '../harness.js';
import { requireScenarioSystem } from './esprit-node.js';
import { ikev1Conf } from './ikev1-configs.js';
import { useLab } from './scenario.js';
import { StrongSwanHost } from './strongswan-host.js';

// IKEv1 key derivation against a real strongSwan 5.9.8 exchange: two charons (client behind
// the lab NAT -> gw), Main Mode PSK with aes256-sha1-modp1024 (SKEYID_e of 20 octets expanded
// to a 32-octet Ka, RFC 2409 Appendix B) and Quick Mode with PFS (aes128-sha1-modp1024). The
// client's charon logs its keys at `ike = 4` / `chd = 4` (keymat_v1.c, iv_manager.c); the gw's
// public side is captured. esprit's src/crypto/ikev1 must derive the same SKEYIDs, Ka, IV and
// KEYMAT from the captured nonces, KE values and cookies, decrypt MM5/MM6 and the Quick Mode
// messages from the capture, and verify HASH_I, HASH_R and HASH(1)-(3) in them.
const skip = requireScenarioSystem(['/usr/lib/ipsec/charon', 'swanctl']);
const scenario = useLab('ike1ss-', { skip });

const PSK = 'esprit-ikev1-keys-0123456789';
const conf = (side: 'client' | 'gw'): string =>
  ikev1Conf(side, { psk: PSK, proposals: 'aes256-sha1-modp1024', esp: 'aes128-sha1-modp1024' });

const hex = (s: string | undefined): Uint8Array => new Uint8Array(Buffer.from(s ?? '', 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const find = <K extends IsakmpPayload['kind']>(ps: IsakmpPayload[], kind: K): Extract<IsakmpPayload, { kind: K }> => {
  const p = ps.find((x) => x.kind === kind);
  assert.ok(p, `no ${kind} payload in [${ps.map((x) => x.kind).join(' ')}]`);
  return p as Extract<IsakmpPayload, { kind: K }>;
};
/** The body of a payload as it was on the wire (generic header stripped), re-encoded from the decode. */
const body = (p: IsakmpPayload): Uint8Array => encodeIsakmpPayloadChain([p]).subarray(4);

test("strongSwan IKEv1 Main Mode + Quick Mode (PFS): esprit derives charon's keys and decrypts and verifies every message", {
  skip,
}, async () => {
  const l = scenario.lab;
  const cap = await l.capture('gw', 'eth0', 'udp');
  const gw = await StrongSwanHost.start(l, 'gw', conf('gw'));
  const client = await StrongSwanHost.start(l, 'client', conf('client'), {}, 4);
  try {
    const r = await client.initiate('net', 'v1');
    assert.equal(
      r.code,
      0,
      `swanctl --initiate: ${r.stdout}${r.stderr}\n--- client ---\n${client.log()}\n--- gw ---\n${gw.log()}`,
    );
  } finally {
    await client.stop();
    await gw.stop();
  }
  const pcap = await cap.stop();
  const t = await run([
    'tshark',
    '-r',
    pcap,
    '-T',
    'fields',
    '-e',
    'udp.srcport',
    '-e',
    'udp.dstport',
    '-e',
    'udp.payload',
    '-Y',
    'udp.port==500 || udp.port==4500',
  ]);
  // IKE datagrams in order: on 4500 only those behind the 4-byte non-ESP marker (RFC 3948 §2.2).
  const msgs: IsakmpMessage[] = [];
  for (const line of t.stdout.trim().split('\n')) {
    const [sp, dp, payload] = line.split('\t');
    let b = hex(payload);
    if (sp === '4500' || dp === '4500') {
      if (b.length < 5 || b[0] !== 0 || b[1] !== 0 || b[2] !== 0 || b[3] !== 0) continue;
      b = b.subarray(4);
    }
    msgs.push(decodeIsakmpMessage(b));
  }
  const mm = msgs.filter((m) => m.header.exchangeType === 2);
  const qm = msgs.filter((m) => m.header.exchangeType === 32);
  assert.equal(mm.length, 6, `six Main Mode messages, saw ${msgs.map((m) => m.header.exchangeType).join(',')}`);
  assert.equal(qm.length, 3, 'three Quick Mode messages');
  const [mm1, mm2, mm3, mm4, mm5, mm6] = mm as [
    IsakmpMessage,
    IsakmpMessage,
    IsakmpMessage,
    IsakmpMessage,
    IsakmpMessage,
    IsakmpMessage,
  ];
  const { spiI, spiR } = mm3.header;
  const prfId = 2; // HMAC-SHA1, the HMAC of the negotiated hash SHA (RFC 2409 §4)
  const encr = 12;
  const keyBits = 256;
  const bs = ikev1BlockSize(encr);
  assert.deepEqual(
    find(mm2.payloads, 'SA')
      .proposals[0]?.transforms[0]?.attributes.filter((a) => a.type <= 4)
      .map((a) => [a.type, toHex(a.value)])
      .sort((x, y) => Number(x[0]) - Number(y[0])),
    [
      [1, '0007'],
      [2, '0002'],
      [3, '0001'],
      [4, '0002'],
    ],
    'the responder chose AES-CBC, SHA, PSK, group 2',
  );
  const gxi = find(mm3.payloads, 'KE').keyData;
  const gxr = find(mm4.payloads, 'KE').keyData;
  const ni = find(mm3.payloads, 'No').nonce;
  const nr = find(mm4.payloads, 'No').nonce;
  const gxy = hex(client.loggedChunk('shared Diffie Hellman secret'));
  assert.equal(gxy.length, 128, 'charon logged g^xy (MODP 1024)');

  const k = deriveSkeyids(prfId, { kind: 'psk', psk: new TextEncoder().encode(PSK) }, ni, nr, gxy, spiI, spiR);
  assert.equal(toHex(k.skeyid), client.loggedChunk('SKEYID'), 'SKEYID');
  assert.equal(toHex(k.skeyidD), client.loggedChunk('SKEYID_d'), 'SKEYID_d');
  assert.equal(toHex(k.skeyidA), client.loggedChunk('SKEYID_a'), 'SKEYID_a');
  assert.equal(toHex(k.skeyidE), client.loggedChunk('SKEYID_e'), 'SKEYID_e');
  const ka = encryptionKey(prfId, k.skeyidE, ikev1KeyLength(encr, keyBits));
  assert.equal(toHex(ka), client.loggedChunk('encryption key Ka'), 'Ka (Appendix B expansion)');
  const iv1 = phase1Iv(prfId, gxi, gxr, bs);
  assert.equal(toHex(iv1), client.loggedChunk('initial IV'), 'phase 1 IV');

  // MM5 (initiator: IDii, HASH_I) and MM6 (responder: IDir, HASH_R), CBC chained.
  const saiB = body(find(mm1.payloads, 'SA'));
  const d5 = ikev1Decrypt(encr, ka, iv1, mm5.encrypted ?? new Uint8Array());
  assert.ok(d5, 'MM5 decrypts');
  const p5 = decodeIsakmpPayloadChain(mm5.header.nextPayload, d5.data, { padded: true });
  const hashI = phase1Hash(prfId, k.skeyid, true, gxi, gxr, spiI, spiR, saiB, body(find(p5, 'ID')));
  assert.equal(toHex(find(p5, 'HASH').data), toHex(hashI), 'HASH_I');
  const d6 = ikev1Decrypt(encr, ka, d5.nextIv, mm6.encrypted ?? new Uint8Array());
  assert.ok(d6, 'MM6 decrypts');
  const p6 = decodeIsakmpPayloadChain(mm6.header.nextPayload, d6.data, { padded: true });
  const hashR = phase1Hash(prfId, k.skeyid, false, gxi, gxr, spiI, spiR, saiB, body(find(p6, 'ID')));
  assert.equal(toHex(find(p6, 'HASH').data), toHex(hashR), 'HASH_R');

  // Quick Mode: IV from the last phase 1 block and the message ID, then chained.
  const [qm1, qm2, qm3] = qm as [IsakmpMessage, IsakmpMessage, IsakmpMessage];
  const mid = qm1.header.messageId;
  const qmIv = phase2Iv(prfId, d6.nextIv, mid, bs);
  const q1 = ikev1Decrypt(encr, ka, qmIv, qm1.encrypted ?? new Uint8Array());
  assert.ok(q1, 'QM1 decrypts');
  const pq1 = decodeIsakmpPayloadChain(qm1.header.nextPayload, q1.data, { padded: true });
  assert.equal(
    toHex(find(pq1, 'HASH').data),
    toHex(hash1(prfId, k.skeyidA, mid, encodeIsakmpPayloadChain(pq1.slice(1)))),
    'HASH(1)',
  );
  const q2 = ikev1Decrypt(encr, ka, q1.nextIv, qm2.encrypted ?? new Uint8Array());
  assert.ok(q2, 'QM2 decrypts');
  const pq2 = decodeIsakmpPayloadChain(qm2.header.nextPayload, q2.data, { padded: true });
  const nqi = find(pq1, 'No').nonce;
  const nqr = find(pq2, 'No').nonce;
  assert.equal(
    toHex(find(pq2, 'HASH').data),
    toHex(quickModeHash2(prfId, k.skeyidA, mid, nqi, encodeIsakmpPayloadChain(pq2.slice(1)))),
    'HASH(2)',
  );
  const q3 = ikev1Decrypt(encr, ka, q2.nextIv, qm3.encrypted ?? new Uint8Array());
  assert.ok(q3, 'QM3 decrypts');
  const pq3 = decodeIsakmpPayloadChain(qm3.header.nextPayload, q3.data, { padded: true });
  assert.equal(toHex(find(pq3, 'HASH').data), toHex(quickModeHash3(prfId, k.skeyidA, mid, nqi, nqr)), 'HASH(3)');

  // Our summaries of all nine messages (decrypted ones from their plaintext) are the lines
  // charon logged for them: "generating ..." for the client's, "parsed ..." for the gw's.
  const charonLines = [
    ...client.log(100_000).matchAll(/\[ENC\] (?:generating|parsed) ((?:ID_PROT|QUICK_MODE) .*)$/gm),
  ].map((m) => m[1]);
  const ours = [
    ...[mm1, mm2, mm3, mm4].map((m, i) => summarizeIsakmp(m.header, m.payloads, i % 2 === 1)),
    summarizeIsakmp(mm5.header, p5, false),
    summarizeIsakmp(mm6.header, p6, true),
    summarizeIsakmp(qm1.header, pq1, false),
    summarizeIsakmp(qm2.header, pq2, true),
    summarizeIsakmp(qm3.header, pq3, false),
  ];
  assert.deepEqual(ours, charonLines);

  // KEYMAT (§5.5) with the PFS secret charon logged: the initiator's outbound SA uses the
  // responder's SPI (from QM2), 16 octets AES-128 then 20 octets HMAC-SHA1 key.
  const qmGxy = hex(client.loggedChunk('DH secret'));
  assert.equal(qmGxy.length, 128, 'charon logged the Quick Mode g^xy');
  const spiOf = (ps: IsakmpPayload[]) => find(ps, 'SA').proposals[0]?.spi ?? new Uint8Array();
  const kmI = quickModeKeymat(prfId, k.skeyidD, 3, spiOf(pq2), nqi, nqr, 36, qmGxy);
  const kmR = quickModeKeymat(prfId, k.skeyidD, 3, spiOf(pq1), nqi, nqr, 36, qmGxy);
  assert.equal(toHex(kmI.subarray(0, 16)), client.loggedChunk('encryption initiator key'), 'KEYMAT encr i');
  assert.equal(toHex(kmI.subarray(16)), client.loggedChunk('integrity initiator key'), 'KEYMAT integ i');
  assert.equal(toHex(kmR.subarray(0, 16)), client.loggedChunk('encryption responder key'), 'KEYMAT encr r');
  assert.equal(toHex(kmR.subarray(16)), client.loggedChunk('integrity responder key'), 'KEYMAT integ r');
});
