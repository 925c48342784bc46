/**
 * A refusing IKEv1 responder tells the initiator (RFC 2408 §3.14, §4.8), and the initiator
 * fails at once instead of after its retransmissions; unprotected notifies never touch an
 * established SA (§5.15). Two in-process engines (ikev1-pair.ts) and the scripted vpnc
 * (ikev1-scripted-vpnc.ts). The refusal's octets are hand-built from RFC 2408 §3.1 (header)
 * and §3.14 (Notification payload) with the §3.14.1 numbers NO-PROPOSAL-CHOSEN 14,
 * INVALID-ID-INFORMATION 18, AUTHENTICATION-FAILED 24.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorNotifyPayload } from '../../src/ikev1/error-notify.js';
import { sealInformational } from '../../src/ikev1/informational.js';
import { fromHex, toHex } from '../../src/util/hex.js';
import { decodeIsakmpMessage } from '../../src/wire/isakmp/isakmp-decode.js';
import { Ikev1Pair } from './ikev1-pair.js';
import { am1, am2, am3, GW_500, GW_4500, NAT_500, NAT_4500, Rig } from './ikev1-scripted-vpnc.js';
import { configFromText } from './test-config.js';

const conf = (side: 'i' | 'r', o: { proposals?: string; id?: string } = {}) =>
  configFromText(`connections {
  mm {
    version = 1
    ${side === 'i' ? 'local_addrs = 10.99.1.2\n    remote_addrs = 10.99.2.2' : 'local_addrs = 10.99.2.2'}
    proposals = ${o.proposals ?? 'aes256-sha1-modp1024'}
    local {
      auth = psk
      id = ${side === 'i' ? (o.id ?? 'client.esprit.test') : 'gw.esprit.test'}
    }
    remote {
      auth = psk
      id = ${side === 'i' ? 'gw.esprit.test' : 'client.esprit.test'}
    }
    children {
      net {
        local_ts = ${side === 'i' ? '10.99.4.1/32' : '10.99.3.0/24'}
        remote_ts = ${side === 'i' ? '10.99.3.0/24' : '10.99.4.1/32'}
        esp_proposals = aes128-sha1
      }
    }
  }
}
secrets {
  ike-mm {
    id-a = gw.esprit.test
    id-b = client.esprit.test
    id-c = intruder.esprit.test
    secret = "main-mode-secret"
  }
}
`);

test('no proposal in common: the responder answers MM1 with an unprotected N(NO-PROPOSAL-CHOSEN); the initiator fails at once', () => {
  const p = new Ikev1Pair(conf('i', { proposals: '3des-md5-modp1024' }), conf('r'));
  p.initiate('mm');
  // HDR, SA, VID... -->
  const mm1 = p.next();
  p.deliver(mm1);
  // <-- HDR, N(NO-PROPOSAL-CHOSEN)
  const n = p.next();
  const h = decodeIsakmpMessage(n.bytes).header;
  const mid = toHex(n.bytes.subarray(20, 24));
  assert.notEqual(mid, '00000000', 'a random message ID');
  const cookies = toHex(n.bytes.subarray(0, 16));
  assert.equal(toHex(n.bytes.subarray(0, 8)), toHex(mm1.bytes.subarray(0, 8)), 'CKY-I of the request');
  const want = [
    cookies, // CKY-I | CKY-R
    '0b', // next payload: Notification (11)
    '10', // version 1.0
    '05', // exchange type: Informational (5)
    '00', // flags: none, not encrypted (§4.8: no keys yet)
    mid, // message ID
    '00000028', // length 40
    '00', // N: no next payload
    '00', // reserved
    '000c', // payload length 12
    '00000001', // DOI: IPSEC (1)
    '01', // protocol: ISAKMP (1)
    '00', // SPI size 0 (§3.14: the cookies are the ISAKMP SPI)
    '000e', // NO-PROPOSAL-CHOSEN (14)
  ].join('');
  assert.equal(toHex(n.bytes), want);
  assert.equal(h.spiR !== 0n, true, 'with the responder cookie');
  p.deliver(n);
  assert.equal(p.i.engine.list().length, 0, 'the initiator SA is gone');
  assert.equal(p.i.results[0]?.ok, false);
  const ev = p.i.events.find((e) => e.kind === 'auth-failed');
  assert.ok(ev?.kind === 'auth-failed');
  assert.equal(ev.notify, 'NO-PROPOSAL-CHOSEN');
  assert.match(ev.detail, /phase 1 refused by 10\.99\.2\.2/);
  assert.ok(
    p.i.logger.lines.some((l) => /parsed INFORMATIONAL_V1 request \d+ \[ N\(NO_PROP\) \]/.test(l)),
    p.i.logger.lines.join('\n'),
  );
  // no retransmission of MM1 and no notify back (no notify war)
  for (let i = 0; i < 5; i++) p.advance(10_000);
  assert.equal(p.wire.length, 0);
  assert.equal(p.i.events.filter((e) => e.kind === 'retransmit').length, 0);
});

test('an identity the responder does not expect: MM5 answered with N(INVALID-ID-INFORMATION), the initiator fails at once', () => {
  const p = new Ikev1Pair(conf('i', { id: 'intruder.esprit.test' }), conf('r'));
  p.initiate('mm');
  for (let i = 0; i < 4; i++) p.deliver(p.next()); // MM1 .. MM4
  p.deliver(p.next()); // MM5 -->
  const n = p.next();
  const m = decodeIsakmpMessage(n.bytes);
  assert.equal(m.header.exchangeType, 5);
  assert.equal(m.encrypted, undefined, 'phase 1 is not complete: unprotected');
  const np = m.payloads[0];
  assert.ok(np?.kind === 'N');
  assert.equal(np.notifyType, 18);
  p.deliver(n);
  const ev = p.i.events.find((e) => e.kind === 'auth-failed');
  assert.ok(ev?.kind === 'auth-failed' && ev.notify === 'INVALID-ID-INFORMATION');
  assert.equal(p.i.engine.list().length, 0);
  assert.equal(p.r.engine.list().length, 0);
});

test('RFC 2408 §5.15: an unprotected error notify changes no established SA and no responder SA', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  p.initiate('mm');
  p.flush();
  const [si] = p.i.engine.list();
  assert.equal(si?.state, 'established');
  // a forged HDR, N(AUTHENTICATION-FAILED) with the right cookies, to both ends
  const forged = (spiI: bigint, spiR: bigint) => {
    const b = fromHex(
      `${spiI.toString(16).padStart(16, '0')}${spiR.toString(16).padStart(16, '0')}0b10050012345678000000280000000c000000010100` +
        '0018',
    );
    return b;
  };
  assert.ok(si);
  const bytes = forged(si.spiI, si.spiR);
  const from = { address: new Uint8Array([10, 99, 2, 2]), port: 4500 };
  const to = { address: new Uint8Array([10, 99, 1, 2]), port: 4500 };
  p.i.engine.receive(to, from, bytes);
  p.r.engine.receive(from, to, bytes);
  p.run('i');
  p.run('r');
  assert.equal(p.i.engine.list()[0]?.state, 'established');
  assert.equal(p.r.engine.list()[0]?.state, 'established');
  assert.equal(p.i.events.filter((e) => e.kind === 'auth-failed').length, 0);
  assert.ok((p.i.engine.drops.get('no-sa') ?? 0) + (p.i.engine.drops.get('undecryptable') ?? 0) >= 1);
  // a responder still negotiating ignores one too (only the initiator of a phase 1 acts on it)
  const q = new Ikev1Pair(conf('i'), conf('r'));
  q.initiate('mm');
  q.deliver(q.next()); // MM1 -->
  const [sr] = q.r.engine.list();
  assert.ok(sr);
  q.r.engine.receive(from, to, forged(sr.spiI, sr.spiR));
  q.run('r');
  assert.equal(q.r.engine.list()[0]?.state, 'mm2-sent');
});

test('Aggressive Mode: a client that stops after AM2 (vpnc with a wrong group secret) shows as auth-failed TIMEOUT when the half-open SA expires', () => {
  const r = new Rig();
  const [m2] = r.deliver(GW_500, NAT_500, am1(r));
  assert.ok(m2);
  assert.equal(am2(r, m2, 'not-the-group-secret'), false, 'HASH_R does not verify: vpnc exits here');
  r.clock.advance(30_000);
  r.gw.tick();
  const ev = r.gw.takeActions().find((a) => a.kind === 'event' && a.event.kind === 'auth-failed');
  assert.ok(ev?.kind === 'event' && ev.event.kind === 'auth-failed');
  assert.equal(ev.event.notify, 'TIMEOUT');
  assert.match(ev.event.detail, /phase 1 not completed by the peer after AM2 \(a wrong pre-shared key at the peer\?\)/);
  assert.equal(r.gw.list().length, 0);
});

test('an encrypted NO-PROPOSAL-CHOSEN with SPI 0 (what charon sends when it found no proposal) fails the pending Quick Mode at once', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  p.initiate('mm');
  for (let n = 0; n < 7; n++) p.deliver(p.next()); // MM1..MM6, INITIAL-CONTACT
  const qm1 = p.next();
  assert.equal(decodeIsakmpMessage(qm1.bytes).header.exchangeType, 32, 'QM1 sent, not delivered');
  const [rsa] = p.r.engine.list();
  assert.ok(rsa?.state === 'established');
  // <-- HDR*, HASH(1), N(NO-PROPOSAL-CHOSEN, ESP, SPI 00000000), sealed with the responder's keys
  const bytes = sealInformational(rsa, 0x0badcafe, [errorNotifyPayload(14, 3, new Uint8Array(4))]);
  p.deliver({ from: 'r', local: rsa.local, remote: rsa.remote, bytes });
  assert.equal(p.i.results.at(-1)?.ok, false);
  assert.equal(p.i.results.at(-1)?.reason, 'NO-PROPOSAL-CHOSEN: refused by the peer');
  const ev = p.i.events.find((e) => e.kind === 'auth-failed');
  assert.ok(ev?.kind === 'auth-failed' && ev.detail === 'Quick Mode for net refused by the peer');
  for (let i = 0; i < 5; i++) p.advance(10_000);
  assert.equal(
    p.wire.filter((d) => d.from === 'i' && decodeIsakmpMessage(d.bytes).header.exchangeType === 32).length,
    0,
  );
});

test('Aggressive Mode: an AM3 that decrypts but whose HASH_I does not verify is refused with an unprotected N(AUTHENTICATION-FAILED)', () => {
  const r = new Rig();
  const [m2] = r.deliver(GW_500, NAT_500, am1(r));
  assert.ok(m2 && am2(r, m2, 'labgroup-secret'));
  // the right keys, a HASH_I over other SA octets
  r.c.saiB = new Uint8Array([0, 0, 0, 1]);
  const [n] = r.deliver(GW_4500, NAT_4500, am3(r));
  assert.ok(n, 'a refusal');
  assert.equal(n.header.exchangeType, 5);
  assert.equal(n.encrypted, undefined);
  const np = n.payloads[0];
  assert.ok(np?.kind === 'N');
  assert.deepEqual([np.doi, np.protocolId, np.spi.length, np.notifyType], [1, 1, 0, 24]);
  assert.equal(r.gw.list().length, 0);
  const ev = r.out.find((a) => a.kind === 'event' && a.event.kind === 'auth-failed');
  assert.ok(ev?.kind === 'event' && ev.event.kind === 'auth-failed' && ev.event.notify === 'AUTHENTICATION-FAILED');
});
