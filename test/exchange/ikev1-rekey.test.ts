/**
 * IKEv1 that stays up (docs/ikev1.md "Rekeying and lifetimes"): phase 1 rekeying by a new Main
 * Mode with the CHILD SAs moving to the new ISAKMP SA on both sides (RFC 2409 has no rekey
 * exchange; strongSwan's queue_ike_reauth and adopt_children_job), the negotiated lifetimes,
 * RESPONDER-LIFETIME (RFC 2407 §4.6.3.1) for phase 1 and phase 2, and the Quick Mode responder
 * rekeying when the initiator does not. Two in-process engines, a NAT in front of the
 * initiator, a FakeClock.
 *
 * Independent expected bytes: python3 (hashlib, python3-cryptography's AES-CBC) decrypts the
 * protected messages with the ISAKMP key and the phase 2 IV of RFC 2409 Appendix B, and the
 * RESPONDER-LIFETIME notify bodies are compared with octets written out by hand from RFC 2408
 * §3.14 and RFC 2407 §4.6.3.1 / §4.5; lifetime attributes in MM1 likewise (RFC 2409 App. A).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import type { Ikev1Sa } from '../../src/ikev1/ikev1-sa.js';
import { toHex } from '../../src/util/hex.js';
import { decodeIsakmpHeader } from '../../src/wire/isakmp/isakmp-decode.js';
import { v1Conf } from './ikev1-configs.js';
import { ep, Ikev1Pair } from './ikev1-pair.js';

interface Opts {
  ike?: string;
  child?: string;
}

const conf = (side: 'i' | 'r', o: Opts = {}) => v1Conf(side, { name: 'rk', ...o });

const sas = (p: Ikev1Pair, s: 'i' | 'r'): Ikev1Sa[] => [...p.peer(s).engine.list()];
const cookies = (sa: Ikev1Sa) => `${sa.spiI.toString(16)}/${sa.spiR.toString(16)}`;

function up(p: Ikev1Pair): void {
  p.initiate('rk');
  p.flush();
  assert.equal(p.i.installed.length, 1);
  assert.equal(p.r.installed.length, 1);
}

/** Decrypts a protected message (RFC 2409 Appendix B IVs) and lists its payloads. */
const PY = `
import hashlib, json, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
a = json.load(sys.stdin)
msg = bytes.fromhex(a['msg'])
mid = msg[20:24]
iv = bytes.fromhex(a['prev'])[-16:] if a.get('prev') else hashlib.sha1(bytes.fromhex(a['lastBlock']) + mid).digest()[:16]
d = Cipher(algorithms.AES(bytes.fromhex(a['encKey'])), modes.CBC(iv)).decryptor()
body = d.update(msg[28:]) + d.finalize()
o, nxt, out = 0, msg[16], []
while nxt != 0:
    ln = int.from_bytes(body[o+2:o+4], 'big')
    out.append([nxt, body[o+4:o+ln].hex()])
    nxt = body[o]
    o += ln
json.dump(out, sys.stdout)
`;

function payloadsOf(msg: Uint8Array, sa: Ikev1Sa, prev?: Uint8Array): [number, string][] {
  assert.ok(sa.encKey && sa.phase1LastBlock);
  const input = {
    msg: toHex(msg),
    encKey: toHex(sa.encKey),
    lastBlock: toHex(sa.phase1LastBlock),
    ...(prev ? { prev: toHex(prev) } : {}),
  };
  return JSON.parse(execFileSync('python3', ['-c', PY], { input: JSON.stringify(input) }).toString());
}

const be32 = (n: number) => n.toString(16).padStart(8, '0');

test('phase 1 rekey by the initiator: a new Main Mode at rekey_time, the CHILD SA moves to it on both sides, the old ISAKMP SA is deleted 10 s later', () => {
  const ike = 'rekey_time = 60s\n    over_time = 6s\n    rand_time = 0s';
  const p = new Ikev1Pair(conf('i', { ike }), conf('r', { ike }));
  p.initiate('rk');
  // MM1 proposes (reauth_time or rekey_time) + over_time = 66 s: Life Type seconds (800b 0001),
  // Life Duration 66 (800c 0042) in the transform (RFC 2409 App. A, basic attributes)
  assert.match(toHex(p.wire[0]?.bytes ?? new Uint8Array()), /800b0001800c0042/);
  p.flush();
  const [oldI] = sas(p, 'i');
  const [oldR] = sas(p, 'r');
  assert.ok(oldI && oldR);
  assert.equal(oldI.life?.seconds, 66);
  assert.equal(oldR.life?.seconds, 66, 'the responder keeps the proposed lifetime when its own is not lower');
  const child = p.i.installed[0];
  const childR = p.r.installed[0];
  p.advance(59_999);
  assert.equal(p.wire.length, 0, 'nothing before rekey_time');
  p.advance(1);
  // HDR, SA, VID* --> on the ports the old SA floated to, with fresh cookies
  const mm1 = p.next();
  assert.equal(ep(mm1.local), '10.99.1.2:4500');
  assert.equal(decodeIsakmpHeader(mm1.bytes).spiR, 0n);
  assert.notEqual(decodeIsakmpHeader(mm1.bytes).spiI, oldI.spiI);
  p.deliver(mm1);
  p.flush();
  assert.equal(sas(p, 'i').length, 2);
  assert.equal(sas(p, 'r').length, 2);
  const newI = sas(p, 'i').find((s) => s !== oldI);
  const newR = sas(p, 'r').find((s) => s !== oldR);
  assert.ok(newI && newR);
  assert.equal(cookies(newI), cookies(newR));
  assert.equal(newI.state, 'established');
  assert.deepEqual(
    newI.children.map((c) => c.plan),
    [child],
    'the initiator moved its CHILD SA to the new ISAKMP SA',
  );
  assert.deepEqual(
    newR.children.map((c) => c.plan),
    [childR],
    'so did the responder',
  );
  assert.equal(oldI.children.length + oldR.children.length, 0);
  assert.deepEqual([p.i.installed, p.r.installed], [[child], [childR]], 'no CHILD SA removed or re-installed');
  assert.ok(!p.i.events.some((e) => e.kind === 'child-down') && !p.r.events.some((e) => e.kind === 'child-down'));
  assert.equal(
    p.log('i', 'generating').filter((l) => l.includes('INITIAL_CONTACT')).length,
    1,
    'INITIAL-CONTACT after the first Main Mode only: the old SA was still there',
  );
  // 10 s later both retire the old SA: HDR*, HASH(1), D(ISAKMP) -->
  p.advance(10_000);
  const dels = p.wire.splice(0);
  assert.equal(dels.length, 2, 'each side deletes the old ISAKMP SA');
  for (const d of dels) assert.equal(decodeIsakmpHeader(d.bytes).spiI, oldI.spiI);
  for (const d of dels) p.deliver(d);
  assert.deepEqual(sas(p, 'i'), [newI]);
  assert.deepEqual(sas(p, 'r'), [newR]);
  for (const s of ['i', 'r'] as const) {
    const downs = p.peer(s).events.filter((e) => e.kind === 'ike-down');
    assert.deepEqual(
      downs.map((e) => (e.kind === 'ike-down' ? e.reason : '')),
      ['replaced by a new ISAKMP SA'],
      `${s}: the old SA went as replaced (no close_action)`,
    );
  }
  // phase 2 rekeying now runs under the new ISAKMP SA
  assert.ok(child);
  p.i.engine.childExpired(child.inbound.spi, false);
  p.run('i');
  const qm1 = p.next();
  assert.equal(decodeIsakmpHeader(qm1.bytes).spiI, newI.spiI);
  p.deliver(qm1);
  p.flush();
  p.advance(2000); // the Delete of the replaced pair (REKEYED_DELETE_MS)
  p.flush();
  assert.equal(p.i.installed.length, 1);
  assert.equal(p.r.installed.length, 1);
  assert.notEqual(p.i.installed[0]?.inbound.spi, child.inbound.spi);
  assert.equal(p.i.installed[0]?.reqid, child.reqid, 'same reqid after the move');
  // the new SA rekeys again at rekey_time after its own establishment
  p.advance(48_000);
  assert.equal(p.wire.length, 1, 'the next phase 1 rekey');
});

test('phase 1 RESPONDER-LIFETIME (RFC 2407 §4.6.3.1): a responder with a lower lifetime says so after MM6, the initiator rekeys at 90 % of it', () => {
  const p = new Ikev1Pair(
    conf('i', { ike: 'rekey_time = 600s\n    over_time = 60s\n    rand_time = 0s' }),
    conf('r', { ike: 'rekey_time = 30s\n    over_time = 3s\n    rand_time = 0s' }),
  );
  p.initiate('rk');
  for (let n = 0; n < 5; n++) p.deliver(p.next());
  // <-- HDR*, IDir, HASH_R (MM6), then HDR*, HASH(1), N(RESPONDER-LIFETIME)
  const mm6 = p.next();
  const info = p.next();
  const gw = sas(p, 'r')[0];
  assert.ok(gw);
  const ps = payloadsOf(info.bytes, gw);
  assert.deepEqual(
    ps.map(([t]) => t),
    [8, 11],
  );
  // DOI 1, Protocol ISAKMP 1, SPI size 16, type 24576 (0x6000), SPI = CKY-I | CKY-R, data:
  // Life Type seconds (800b 0001), Life Duration 33 (800c 0021)
  const ck = gw.spiI.toString(16).padStart(16, '0') + gw.spiR.toString(16).padStart(16, '0');
  assert.equal(ps[1]?.[1], `00000001011060 00${ck}800b0001800c0021`.replace(/ /g, ''));
  assert.equal(gw.life?.seconds, 33, 'the gateway keeps the lower of the proposal (660 s) and its own (33 s)');
  p.deliver(mm6);
  p.deliver(info);
  const cl = sas(p, 'i')[0];
  assert.equal(cl?.life?.seconds, 33);
  p.flush();
  p.advance(29_699);
  assert.equal(p.wire.filter((d) => d.from === 'i').length, 0);
  p.advance(1);
  assert.equal(p.wire.length, 1, 'the client starts a new Main Mode at 29.7 s, before the gateway expires the SA');
  p.flush();
  p.advance(10_000);
  p.flush();
  assert.equal(sas(p, 'i').length, 1);
  assert.equal(sas(p, 'r').length, 1);
  assert.equal(sas(p, 'r')[0]?.children.length, 1, 'the CHILD SA lives on under the new SA');
});

test('phase 1 hard lifetime: without rekeying (rekey_time = 0) each side deletes the ISAKMP SA and its CHILD SAs when the lifetime ends', () => {
  const ike = 'rekey_time = 0s\n    reauth_time = 0s\n    over_time = 40s';
  const p = new Ikev1Pair(conf('i', { ike }), conf('r', { ike }));
  up(p);
  assert.equal(sas(p, 'i')[0]?.life?.seconds, 40);
  p.advance(39_999);
  assert.equal(sas(p, 'i').length, 1);
  p.advance(1);
  assert.equal(sas(p, 'i').length + sas(p, 'r').length, 0);
  assert.equal(p.i.installed.length + p.r.installed.length, 0);
  assert.ok(p.i.events.some((e) => e.kind === 'ike-down' && e.reason === 'expired'));
});

test('a gateway accepts a new Main Mode from the same peer (the peer rekeys phase 1 its own way) and keeps the CHILD SAs (INITIAL-CONTACT, which drops them, is in ikev1-informational.test.ts)', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  up(p);
  const oldR = sas(p, 'r')[0];
  const kept = p.r.installed[0];
  // the client's old SA is kept and a second Main Mode is run by hand (as strongSwan's reauth)
  p.i.engine.initiate('rk', new Uint8Array([10, 99, 1, 2]), new Uint8Array([10, 99, 2, 2]), undefined, 'none');
  p.run('i');
  p.flush();
  assert.equal(sas(p, 'r').length, 2);
  const newR = sas(p, 'r').find((s) => s !== oldR);
  assert.deepEqual(
    newR?.children.map((c) => c.plan),
    [kept],
  );
  assert.equal(oldR?.life?.retireAt !== undefined, true, 'the old SA retires');
  assert.equal(p.r.installed.length, 1);
});

test('phase 2: a responder with a lower life_time sends RESPONDER-LIFETIME in QM2 and the initiator honours it; the responder rekeys when the initiator does not', () => {
  const p = new Ikev1Pair(
    conf('i', { child: 'rekey_time = 3600s\n        life_time = 3960s' }),
    conf('r', { child: 'rekey_time = 100s\n        life_time = 200s' }),
  );
  p.initiate('rk');
  for (let n = 0; n < 7; n++) p.deliver(p.next());
  const qm1 = p.next();
  p.deliver(qm1);
  const qm2 = p.next();
  const gw = sas(p, 'r')[0];
  assert.ok(gw);
  const ps = payloadsOf(qm2.bytes, gw, qm1.bytes);
  assert.deepEqual(
    ps.map(([t]) => t),
    [8, 1, 10, 5, 5, 11],
    'HASH(2), SA, Nr, IDci, IDcr, N(RESPONDER-LIFETIME)',
  );
  p.deliver(qm2);
  p.flush();
  const [ci, cr] = [p.i.installed[0], p.r.installed[0]];
  assert.ok(ci && cr);
  // DOI 1, Protocol ESP 3, SPI size 4, type 24576, SPI = the responder's inbound SPI, data:
  // SA Life Type seconds (8001 0001), SA Life Duration 200 (8002 00c8)
  assert.equal(ps[5]?.[1], `0000000103046000${be32(cr.inbound.spi)}8001000180020 0c8`.replace(/ /g, ''));
  assert.deepEqual([ci.lifetime.softSeconds, ci.lifetime.hardSeconds], [180, 200], 'initiator: 90 % of 200 s');
  assert.deepEqual(
    [cr.lifetime.softSeconds, cr.lifetime.hardSeconds],
    [150, 200],
    'responder: half-way from its rekey_time to the end',
  );
  // the initiator's soft EXPIRE is lost; the responder's comes: it runs Quick Mode as initiator
  p.r.engine.childExpired(cr.inbound.spi, false);
  p.run('r');
  const rq1 = p.next();
  assert.equal(rq1.from, 'r');
  p.deliver(rq1);
  p.flush();
  p.advance(2000); // the Delete of the replaced pair (REKEYED_DELETE_MS)
  p.flush();
  assert.equal(p.i.installed.length, 1, 'the old pair went with the Delete');
  assert.equal(p.r.installed.length, 1);
  assert.notEqual(p.r.installed[0]?.inbound.spi, cr.inbound.spi);
  assert.equal(p.r.installed[0]?.reqid, cr.reqid);
  assert.equal(p.i.installed[0]?.outbound.spi, p.r.installed[0]?.inbound.spi);
  assert.ok(p.i.events.some((e) => e.kind === 'child-down' && e.reason === 'deleted by peer'));
});

test('phase 2: a CHILD SA the peer has rekeyed (no Delete, as strongSwan with delete_rekeyed = no) is not rekeyed again by the responder', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  up(p);
  const [oi, or] = [p.i.installed[0], p.r.installed[0]];
  assert.ok(oi && or);
  p.i.engine.childExpired(oi.inbound.spi, false);
  p.run('i');
  const qm = p.wire.splice(0, 1)[0];
  assert.ok(qm);
  p.deliver(qm);
  p.deliver(p.next());
  // HASH(3) delivered; the initiator's Delete for the old SA is lost
  p.deliver(p.next());
  p.wire.length = 0;
  assert.equal(p.r.installed.length, 2);
  p.r.engine.childExpired(or.inbound.spi, false);
  p.run('r');
  assert.equal(p.wire.length, 0, 'no Quick Mode for a replaced CHILD SA');
});

test('a phase 1 rekey that gets no answer fails without touching the old ISAKMP SA, which tries again 30 s later', () => {
  const ike = 'rekey_time = 60s\n    over_time = 600s\n    rand_time = 0s';
  const p = new Ikev1Pair(conf('i', { ike }), conf('r', { ike }));
  up(p);
  const old = sas(p, 'i')[0];
  assert.ok(old);
  p.advance(60_000);
  assert.equal(p.wire.length, 1, 'MM1 of the replacement');
  // the gateway is unreachable from now on
  let failedAt: number | undefined;
  for (let t = 0; t < 400 && failedAt === undefined; t++) {
    p.wire.length = 0;
    p.advance(1000);
    if (sas(p, 'i').length === 1) failedAt = p.clock.now();
  }
  assert.ok(failedAt !== undefined, 'the replacement Main Mode timed out');
  assert.ok(
    p.i.results.every((r) => r.requestId === 1),
    'no up request of its own',
  );
  assert.deepEqual(sas(p, 'i'), [old]);
  assert.equal(old.state, 'established');
  assert.equal(old.children.length, 1, 'the CHILD SA stays on the old SA');
  assert.equal(old.life?.successor, undefined);
  p.wire.length = 0;
  p.advance(29_000);
  assert.equal(p.wire.filter((d) => d.from === 'i' && decodeIsakmpHeader(d.bytes).spiR === 0n).length, 0);
  p.advance(1000);
  assert.equal(
    p.wire.filter((d) => d.from === 'i' && decodeIsakmpHeader(d.bytes).spiR === 0n).length,
    1,
    'a new MM1, 30 s after the failure',
  );
});
