/**
 * RFC 7383 sending and reassembly (ike-fragments.ts, ike-reassembly.ts) on two IkeSa objects
 * with fixed keys. Expected sizes are computed by hand from strongSwan's message.c fragment()
 * arithmetic (charon.fragment_size is the whole IP datagram: less IP 20/40, UDP 8, the
 * non-ESP marker 4 off port 500, then the IKE header 28, IV, ICV, the SKF header 8, rounded
 * down to the cipher block, less the Pad Length octet). A fragment is opened in the test with
 * node:crypto directly (AAD = IKE header + SKF header, RFC 7383 §2.5 and RFC 5282 §5.1), not
 * with our sk-protect.ts.
 */
import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { test } from 'node:test';
import { defaultHost } from '../config/swanctl/swanctl-host.js';
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { parseIp } from '../util/ip-addr.js';
import { SeededRng } from '../util/rng.js';
import { decodeIkeMessage } from '../wire/ike/ike-decode.js';
import type { IkePayload } from '../wire/ike/ike-types.js';
import { fragmentContentLength, maxIkeMessageLength, sealOutgoing } from './ike-fragments.js';
import { acceptFragment, MAX_FRAGMENTS, openIncoming, type ReassemblyLimits } from './ike-reassembly.js';
import { IkeSa } from './ike-sa.js';

const V4 = { a: parseIp('10.99.1.2').bytes, b: parseIp('10.99.2.2').bytes };
const V6 = { a: parseIp('fd00::1').bytes, b: parseIp('fd00::2').bytes };
const LIMITS: ReassemblyLimits = { maxFragments: MAX_FRAGMENTS, maxBytes: 10000 };
const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

type SuiteName = 'gcm' | 'cbc';

/** An initiator and responder IkeSa with the same keys, as after IKE_SA_INIT. */
function saPair(suite: SuiteName, fragmentation: ConnectionConfig['fragmentation'] = 'yes'): [IkeSa, IkeSa] {
  const conn = { fragmentation } as ConnectionConfig;
  const mk = (initiator: boolean): IkeSa => {
    const sa = new IkeSa(initiator, 0x0102030405060708n, { address: V4.a, port: 4500 }, { address: V4.b, port: 4500 });
    sa.spiR = 0x1112131415161718n;
    sa.conn = conn;
    sa.peerFragmentation = true;
    sa.suite =
      suite === 'gcm' ? { encr: 20, encrKeyBits: 128, prf: 5 } : { encr: 12, encrKeyBits: 128, integ: 12, prf: 5 };
    const ek = suite === 'gcm' ? 20 : 16;
    sa.keys = {
      skD: fill(32, 1),
      skAi: fill(suite === 'gcm' ? 0 : 32, 2),
      skAr: fill(suite === 'gcm' ? 0 : 32, 3),
      skEi: fill(ek, 4),
      skEr: fill(ek, 5),
      skPi: fill(32, 6),
      skPr: fill(32, 7),
    };
    return sa;
  };
  return [mk(true), mk(false)];
}

/** An IKE_AUTH-like inner chain of about `n` octets: IDi + a CERT of n - 40 octets + AUTH. */
function bigPayloads(n: number): IkePayload[] {
  const cert = new Uint8Array(n - 40);
  for (let i = 0; i < cert.length; i++) cert[i] = (i * 7) & 0xff;
  return [
    { kind: 'IDi', idType: 2, data: new TextEncoder().encode('client.test') },
    { kind: 'CERT', encoding: 4, data: cert },
    { kind: 'AUTH', method: 2, data: fill(16, 9) },
  ];
}

test('fragment_size is the IP datagram: IPv4/IPv6 header, UDP, non-ESP marker off port 500; 0 = 576 / 1280', () => {
  const h = defaultHost();
  assert.equal(maxIkeMessageLength(h, { address: V4.a, port: 4500 }, { address: V4.b, port: 4500 }), 1280 - 20 - 8 - 4);
  assert.equal(maxIkeMessageLength(h, { address: V4.a, port: 500 }, { address: V4.b, port: 500 }), 1280 - 20 - 8);
  assert.equal(maxIkeMessageLength(h, { address: V6.a, port: 4500 }, { address: V6.b, port: 4500 }), 1280 - 40 - 8 - 4);
  const zero = { ...h, fragmentSize: 0 };
  assert.equal(maxIkeMessageLength(zero, { address: V4.a, port: 500 }, { address: V4.b, port: 500 }), 576 - 28);
  assert.equal(maxIkeMessageLength(zero, { address: V6.a, port: 500 }, { address: V6.b, port: 500 }), 1280 - 48);
  const v4 = { ...h, fragmentSizeV4: 1000 };
  assert.equal(maxIkeMessageLength(v4, { address: V4.a, port: 500 }, { address: V4.b, port: 500 }), 1000 - 28);
  assert.equal(maxIkeMessageLength(v4, { address: V6.a, port: 500 }, { address: V6.b, port: 500 }), 1280 - 48);
});

test("content per fragment as strongSwan's fragment(): AES-CBC+HMAC-SHA256 1167, AES-GCM-16 1187 for 1248", () => {
  // CBC: 1248 - 28 - 16 (IV) - 16 (ICV) - 8 = 1180 -> 1168 (block 16) -> 1167
  assert.equal(fragmentContentLength(saPair('cbc')[0], 1248), 1167);
  // GCM: 1248 - 28 - 8 (IV) - 16 (ICV) - 8 = 1188 (block 1) -> 1187
  assert.equal(fragmentContentLength(saPair('gcm')[0], 1248), 1187);
});

for (const suite of ['gcm', 'cbc'] as const) {
  test(`${suite}: a 4000-octet message -> fragments within the size, numbered, Next Payload in #1 only, reassembled`, () => {
    const [i, r] = saPair(suite);
    const payloads = bigPayloads(4000);
    const frags = sealOutgoing(i, 35, false, 1, payloads, new SeededRng(1n), 1248);
    // inner chain: IDi 4+4+11, CERT 4+1+3960, AUTH 4+4+16 = 4008 octets; / 1187 or 1167 -> 4
    assert.equal(frags.length, 4);
    frags.forEach((b, k) => {
      assert.ok(b.length <= 1248, `fragment ${k + 1} has ${b.length} octets`);
      const m = decodeIkeMessage(b);
      assert.equal(m.header.nextPayload, 53);
      assert.equal(m.header.messageId, 1);
      assert.equal(m.header.flags, 0x08);
      const f = m.payloads[0];
      assert.ok(f?.kind === 'SKF');
      assert.equal(f.fragmentNumber, k + 1);
      assert.equal(f.totalFragments, frags.length);
      assert.equal(f.firstInner, k === 0 ? 35 : 0);
    });
    // out of order: last, first, then the middle ones
    const order = [frags.length - 1, 0, ...frags.map((_, k) => k).slice(1, -1)];
    let done: IkePayload[] | undefined;
    for (const k of order) {
      const b = frags[k] as Uint8Array;
      const v = acceptFragment(r, 'request', b, decodeIkeMessage(b), LIMITS);
      if (v.kind === 'complete') done = v.payloads;
      else assert.equal(v.kind, 'need-more');
    }
    assert.deepEqual(done, payloads);
    assert.equal(r.defrag?.request, undefined, 'state dropped when the message completes');
  });
}

test('a small message is one SK message; fragmentation = accept or a peer without support: never fragments', () => {
  const [i] = saPair('gcm');
  assert.equal(sealOutgoing(i, 35, false, 1, bigPayloads(200), new SeededRng(1n), 1248).length, 1);
  assert.equal(
    decodeIkeMessage(sealOutgoing(i, 35, false, 1, bigPayloads(200), new SeededRng(1n), 1248)[0] as Uint8Array).header
      .nextPayload,
    46,
  );
  const [a] = saPair('gcm', 'accept');
  assert.equal(sealOutgoing(a, 35, false, 1, bigPayloads(4000), new SeededRng(1n), 1248).length, 1);
  const [y] = saPair('gcm', 'yes');
  y.peerFragmentation = false;
  assert.equal(sealOutgoing(y, 35, false, 1, bigPayloads(4000), new SeededRng(1n), 1248).length, 1);
  const [f] = saPair('gcm', 'force');
  f.peerFragmentation = false;
  assert.equal(sealOutgoing(f, 35, false, 1, bigPayloads(4000), new SeededRng(1n), 1248).length, 4);
});

test('AES-GCM fragment opened by hand: nonce = salt | IV, AAD = IKE header + SKF header (36 octets)', () => {
  const [i] = saPair('gcm');
  const frags = sealOutgoing(i, 35, false, 1, bigPayloads(3000), new SeededRng(3n), 1248);
  const b = frags[1] as Uint8Array;
  const key = fill(20, 4); // SK_ei: 16 octets key, 4 octets salt (RFC 5282 §7.1)
  const iv = b.subarray(36, 44);
  const d = createDecipheriv('aes-128-gcm', key.subarray(0, 16), Buffer.concat([key.subarray(16), iv]), {
    authTagLength: 16,
  });
  d.setAAD(b.subarray(0, 36));
  d.setAuthTag(b.subarray(b.length - 16));
  const plain = Buffer.concat([d.update(b.subarray(44, b.length - 16)), d.final()]);
  // 1187 content octets of the chain, then Pad Length 0
  assert.equal(plain.length, 1188);
  assert.equal(plain[plain.length - 1], 0);
});

test('reassembly: duplicates ignored, a forged fragment dropped and the real one still taken, stale totals dropped', () => {
  const [i, r] = saPair('cbc');
  const payloads = bigPayloads(3000);
  const frags = sealOutgoing(i, 35, false, 1, payloads, new SeededRng(5n), 1248);
  assert.equal(frags.length, 3);
  const take = (b: Uint8Array) => acceptFragment(r, 'request', b, decodeIkeMessage(b), LIMITS);
  const f1 = frags[0] as Uint8Array;
  assert.deepEqual(take(f1), { kind: 'need-more', duplicate: false });
  assert.deepEqual(take(f1), { kind: 'need-more', duplicate: true });
  const forged = (frags[1] as Uint8Array).slice();
  forged[100] = (forged[100] ?? 0) ^ 1;
  assert.equal(take(forged).kind, 'drop');
  assert.equal(r.defrag?.request?.pieces.size, 1, 'the forged fragment was not stored');
  // the same message re-fragmented into more pieces (§2.6): the old pieces are dropped
  const more = sealOutgoing(i, 35, false, 1, payloads, new SeededRng(6n), 700);
  assert.ok(more.length > 3);
  assert.equal(take(more[0] as Uint8Array).kind, 'need-more');
  assert.equal(r.defrag?.request?.total, more.length);
  assert.equal(r.defrag?.request?.pieces.size, 1);
  // a fragment of the first try (fewer Total Fragments) is now stale
  const stale = take(frags[2] as Uint8Array);
  assert.ok(stale.kind === 'drop' && stale.reason === 'fragment-stale');
  let done: IkePayload[] | undefined;
  for (const b of more.slice(1)) {
    const v = take(b);
    if (v.kind === 'complete') done = v.payloads;
  }
  assert.deepEqual(done, payloads);
});

test('limits: Total Fragments above the maximum, plaintext above max_packet; fragmentation = no drops unopened', () => {
  const [i, r] = saPair('gcm');
  const frags = sealOutgoing(i, 35, false, 1, bigPayloads(3000), new SeededRng(7n), 1248);
  const b0 = frags[0] as Uint8Array;
  const few = acceptFragment(r, 'request', b0, decodeIkeMessage(b0), { maxFragments: 2, maxBytes: 10000 });
  assert.ok(few.kind === 'drop' && few.reason === 'fragment-limit');
  assert.equal(r.defrag?.request, undefined);
  const small = { maxFragments: MAX_FRAGMENTS, maxBytes: 2000 };
  assert.equal(acceptFragment(r, 'request', b0, decodeIkeMessage(b0), small).kind, 'need-more');
  const b1 = frags[1] as Uint8Array;
  const big = acceptFragment(r, 'request', b1, decodeIkeMessage(b1), small);
  assert.ok(big.kind === 'drop' && big.reason === 'fragment-limit');
  assert.equal(r.defrag?.request, undefined, 'reassembly abandoned');
  const no = openIncoming(r, 'request', b0, decodeIkeMessage(b0), LIMITS, false);
  assert.ok(!no.ok && no.reason === 'fragment-unsupported');
  assert.equal(r.defrag?.request, undefined);
});

test('requests and responses reassemble apart; a fragment of another message ID replaces the partial one', () => {
  const [i, r] = saPair('gcm');
  const req = sealOutgoing(i, 35, false, 1, bigPayloads(3000), new SeededRng(8n), 1248);
  const rsp = sealOutgoing(r, 35, true, 1, bigPayloads(2500), new SeededRng(9n), 1248);
  const q0 = req[0] as Uint8Array;
  const p0 = rsp[0] as Uint8Array;
  assert.equal(acceptFragment(r, 'request', q0, decodeIkeMessage(q0), LIMITS).kind, 'need-more');
  assert.equal(acceptFragment(i, 'response', p0, decodeIkeMessage(p0), LIMITS).kind, 'need-more');
  assert.equal(i.defrag?.response?.messageId, 1);
  const next = sealOutgoing(i, 36, false, 2, bigPayloads(3000), new SeededRng(10n), 1248)[0] as Uint8Array;
  assert.equal(acceptFragment(r, 'request', next, decodeIkeMessage(next), LIMITS).kind, 'need-more');
  assert.equal(r.defrag?.request?.messageId, 2);
  assert.equal(r.defrag?.request?.pieces.size, 1);
});
