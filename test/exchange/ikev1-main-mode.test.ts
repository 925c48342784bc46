/**
 * IKEv1 Main Mode with pre-shared keys between two in-process esprit engines (RFC 2409 §5,
 * NAT-T per RFC 3947 and the drafts as ../shared/docs/protocol-facts.md §1.6 and §2.1 list
 * them), through a NAT in front of the initiator unless said otherwise. Expected summaries use
 * charon's notation; the exchange itself is checked by what each side ends up with (the same
 * SKEYIDs, NAT flags, ports) and by what crossed the wire.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Ikev1Sa } from '../../src/ikev1/ikev1-sa.js';
import { bytesEqual } from '../../src/util/hex.js';
import { decodeIsakmpMessage } from '../../src/wire/isakmp/isakmp-decode.js';
import { ep, Ikev1Pair } from './ikev1-pair.js';
import { configFromText } from './test-config.js';

const conf = (side: 'i' | 'r', o: { psk?: string; natt?: string; encap?: boolean; proposals?: string } = {}) =>
  configFromText(`connections {
  mm {
    version = 1
    ${side === 'i' ? 'local_addrs = 10.99.1.2\n    remote_addrs = 10.99.2.2' : 'local_addrs = 10.99.2.2'}
    proposals = ${o.proposals ?? 'aes256-sha1-modp1024, aes128-sha256-modp2048'}
    ${o.natt ? `natt_mode = ${o.natt}` : ''}
    ${o.encap ? 'encap = yes' : ''}
    local {
      auth = psk
      id = ${side === 'i' ? 'client.esprit.test' : 'gw.esprit.test'}
    }
    remote {
      auth = psk
      id = ${side === 'i' ? 'gw.esprit.test' : 'client.esprit.test'}
    }
  }
}
secrets {
  ike-mm {
    id-a = gw.esprit.test
    id-b = client.esprit.test
    secret = "${o.psk ?? 'main-mode-secret'}"
  }
}
`);

const only = (p: Ikev1Pair, s: 'i' | 'r'): Ikev1Sa => {
  const l = p.peer(s).engine.list();
  assert.equal(l.length, 1, `${s}: one SA`);
  return l[0] as Ikev1Sa;
};

/** Payload types of a cleartext datagram (encrypted ones: 'E'). */
const types = (b: Uint8Array): string => {
  const m = decodeIsakmpMessage(b);
  return m.encrypted
    ? 'E'
    : m.payloads.map((x) => (x.kind === 'NAT-D' ? `NAT-D(${x.draft ? 130 : 20})` : x.kind)).join(' ');
};

test('Main Mode PSK through the NAT, RFC 3947: NAT-D in MM3/MM4, float to 4500 at MM5, same keys on both sides', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  p.initiate('mm');
  // HDR, SA, VID (RFC 3947, drafts 03, 02\n, 02, 01, 00) -->
  const mm1 = p.next();
  // HDR, SA, VID (RFC 3947, drafts 03, 02\n, 02, 01, 00; RFC 3706 DPD; FRAGMENTATION) -->
  assert.equal(types(mm1.bytes), 'SA V V V V V V V V');
  assert.equal(ep(mm1.local), '10.99.1.2:500');
  p.deliver(mm1);
  // <-- HDR, SA, VID (RFC 3947: the highest both support; FRAGMENTATION, answering the initiator's)
  const mm2 = p.next();
  assert.equal(types(mm2.bytes), 'SA V V V');
  p.deliver(mm2);
  // HDR, KE, Ni, NAT-D, NAT-D -->
  const mm3 = p.next();
  assert.equal(types(mm3.bytes), 'KE No NAT-D(20) NAT-D(20)');
  p.deliver(mm3);
  // <-- HDR, KE, Nr, NAT-D, NAT-D
  const mm4 = p.next();
  assert.equal(types(mm4.bytes), 'KE No NAT-D(20) NAT-D(20)');
  p.deliver(mm4);
  // HDR*, IDii, HASH_I --> on 4500/4500 (RFC 3947 §4: the initiator floats at MM5)
  const mm5 = p.next();
  assert.equal(types(mm5.bytes), 'E');
  assert.equal(ep(mm5.local), '10.99.1.2:4500');
  assert.equal(ep(mm5.remote), '10.99.2.2:4500');
  p.deliver(mm5);
  // <-- HDR*, IDir, HASH_R to the NAT's mapping of 4500
  const mm6 = p.next();
  assert.equal(ep(mm6.local), '10.99.2.2:4500');
  assert.equal(ep(mm6.remote), '10.99.2.1:30001');
  p.deliver(mm6);
  // HDR*, HASH(1), N(INITIAL-CONTACT) --> (RFC 2407 §4.6.3.3: the initiator has no other SA)
  const ic = p.next();
  assert.equal(types(ic.bytes), 'E');
  assert.equal(decodeIsakmpMessage(ic.bytes).header.exchangeType, 5);
  p.deliver(ic);
  assert.equal(p.wire.length, 0);

  const i = only(p, 'i');
  const r = only(p, 'r');
  assert.equal(i.state, 'established');
  assert.equal(r.state, 'established');
  assert.equal(i.natt?.variant, 'rfc');
  assert.equal(r.natt?.variant, 'rfc');
  assert.deepEqual([i.localBehindNat, i.remoteBehindNat], [true, false]);
  assert.deepEqual([r.localBehindNat, r.remoteBehindNat], [false, true]);
  assert.ok(
    i.keys && r.keys && bytesEqual(i.keys.skeyidD, r.keys.skeyidD) && bytesEqual(i.keys.skeyidA, r.keys.skeyidA),
  );
  assert.ok(i.iv && r.iv && bytesEqual(i.iv, r.iv), 'both keep the same last phase 1 block');
  // the first offered transform: AES-CBC-256, SHA, group 2
  assert.deepEqual([r.suite?.encr, r.suite?.keyBits, r.suite?.prf, r.suite?.group], [12, 256, 2, 2]);
  assert.deepEqual(p.i.results, [{ requestId: 1, ok: true, reason: 'established' }]);
  const up = p.r.events.find((e) => e.kind === 'ike-up');
  assert.ok(up?.kind === 'ike-up' && up.remoteId === 'client.esprit.test' && up.remote.port === 30001);
  assert.deepEqual(p.log('i', 'generating'), [
    'ID_PROT request 0 [ SA V V V V V V V V ]',
    'ID_PROT request 0 [ KE No NAT-D NAT-D ]',
    'ID_PROT request 0 [ ID HASH ]',
    `INFORMATIONAL_V1 request ${decodeIsakmpMessage(ic.bytes).header.messageId} [ HASH N(INITIAL_CONTACT) ]`,
  ]);
  assert.deepEqual(p.log('r', 'generating'), [
    'ID_PROT response 0 [ SA V V V ]',
    'ID_PROT response 0 [ KE No NAT-D NAT-D ]',
    'ID_PROT response 0 [ ID HASH ]',
  ]);
  assert.deepEqual(p.log('r', 'parsed'), [
    'ID_PROT request 0 [ SA V V V V V V V V ]',
    'ID_PROT request 0 [ KE No NAT-D NAT-D ]',
    'ID_PROT request 0 [ ID HASH ]',
    `INFORMATIONAL_V1 request ${decodeIsakmpMessage(ic.bytes).header.messageId} [ HASH N(INITIAL_CONTACT) ]`,
  ]);
});

test('NAT-T variants: the highest common one decides the NAT-D payload number and whether IKE floats', () => {
  const cases: [string, string, string, boolean][] = [
    // initiator natt_mode, chosen variant, NAT-D as sent in MM3, MM5 on 4500
    ['draft-02n', 'draft-02n', 'KE No NAT-D(130) NAT-D(130)', true],
    ['draft-03, draft-00', 'draft-03', 'KE No NAT-D(130) NAT-D(130)', true],
    ['draft-00', 'draft-00', 'KE No NAT-D(130) NAT-D(130)', false],
    ['draft-01', 'draft-01', 'KE No NAT-D(130) NAT-D(130)', false],
    ['none', '', 'KE No', false],
  ];
  for (const [mode, variant, mm3Types, floats] of cases) {
    const p = new Ikev1Pair(conf('i', { natt: mode }), conf('r'));
    p.initiate('mm');
    const seen: Uint8Array[] = [];
    let mm5Port = 0;
    for (let n = 0; p.wire.length > 0 && n < 10; n++) {
      const d = p.next();
      seen.push(d.bytes);
      if (n === 4) mm5Port = d.remote.port;
      p.deliver(d);
    }
    const i = only(p, 'i');
    const r = only(p, 'r');
    assert.equal(i.state, 'established', mode);
    assert.equal(r.state, 'established', mode);
    assert.equal(i.natt?.variant ?? '', variant, mode);
    assert.equal(r.natt?.variant ?? '', variant, mode);
    assert.equal(types(seen[2] as Uint8Array), mm3Types, mode);
    assert.equal(mm5Port, floats ? 4500 : 500, mode);
    // without NAT-T nobody learns of the NAT; with it the initiator knows it is behind one
    assert.equal(i.localBehindNat, variant !== '', mode);
  }
});

test('no NAT on the path: NAT-D agrees, nobody floats; encap = yes fakes the NAT and floats anyway', () => {
  const plain = new Ikev1Pair(conf('i'), conf('r'), { nat: false });
  plain.initiate('mm');
  plain.flush();
  const i = only(plain, 'i');
  assert.equal(i.state, 'established');
  assert.deepEqual([i.localBehindNat, i.remoteBehindNat], [false, false]);
  assert.equal(i.remote.port, 500);
  const r = only(plain, 'r');
  assert.deepEqual([r.localBehindNat, r.remoteBehindNat], [false, false]);

  const forced = new Ikev1Pair(conf('i', { encap: true }), conf('r'), { nat: false });
  forced.initiate('mm');
  forced.flush();
  const fi = only(forced, 'i');
  const fr = only(forced, 'r');
  assert.equal(fi.state, 'established');
  assert.equal(fi.remote.port, 4500);
  assert.equal(fr.local.port, 4500);
  // the responder believes the initiator is behind a NAT (its own-address hash was faked)
  assert.deepEqual([fr.localBehindNat, fr.remoteBehindNat], [false, true]);
});

test('retransmission: a lost MM2 is recovered by the initiator resending MM1 and the responder answering again', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  p.initiate('mm');
  p.deliver(p.next()); // MM1 -->
  const lostMm2 = p.next(); // <-- MM2, lost
  assert.equal(p.wire.length, 0);
  p.advance(4000); // RFC-less but strongSwan's first timeout: 4 s
  const again = p.next();
  assert.equal(types(again.bytes), 'SA V V V V V V V V');
  p.deliver(again); // the responder has answered this already: it resends MM2
  const mm2 = p.next();
  assert.ok(bytesEqual(mm2.bytes, lostMm2.bytes), 'the same MM2, not a second SA');
  p.deliver(mm2);
  p.flush();
  assert.equal(only(p, 'i').state, 'established');
  assert.equal(only(p, 'r').state, 'established');
  assert.ok(p.i.events.some((e) => e.kind === 'retransmit'));
});

test('a wrong pre-shared key: MM5 does not decrypt at the responder, nothing is established, the initiator gives up', () => {
  const p = new Ikev1Pair(conf('i', { psk: 'not-the-secret' }), conf('r'));
  p.initiate('mm');
  p.flush();
  assert.equal(only(p, 'r').state, 'mm4-sent');
  assert.ok((p.r.engine.drops.get('undecryptable') ?? 0) >= 1);
  for (let t = 0; t < 8; t++) {
    p.advance(80_000);
    p.flush();
  }
  assert.equal(p.i.engine.list().length, 0, 'the initiator dropped its SA');
  assert.equal(p.i.results[0]?.ok, false);
  assert.match(p.i.results[0]?.reason ?? '', /TIMEOUT/);
  assert.equal(p.r.engine.list().length, 0, 'the responder expired its half-open SA');
  assert.equal(p.r.engine.drops.get('half-open-expired'), 1);
});

test('a responder SA that never completes expires after the half-open timeout; deadlines are reported', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  p.initiate('mm');
  p.deliver(p.next()); // MM1 --> ; MM2 and everything after are lost
  p.wire.length = 0;
  const r = only(p, 'r');
  assert.equal(r.state, 'mm2-sent');
  assert.equal(r.retransmitAt, undefined, 'the responder does not retransmit on its own');
  assert.equal(p.r.engine.nextDeadline(), p.clock.now() + 30_000);
  p.clock.advance(29_999);
  p.r.engine.tick();
  assert.equal(p.r.engine.list().length, 1);
  p.clock.advance(1);
  p.r.engine.tick();
  assert.equal(p.r.engine.list().length, 0);
  assert.equal(p.r.engine.nextDeadline(), undefined);
});

test('unauthenticated and malformed input changes no SA', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  p.initiate('mm');
  const sent: Uint8Array[] = [];
  while (p.wire.length > 0) {
    const d = p.next();
    sent.push(d.bytes);
    p.deliver(d);
  }
  const r = only(p, 'r');
  const before = { state: r.state, iv: r.iv?.slice(), remote: ep(r.remote) };
  const mm5 = sent[4] as Uint8Array;
  const evil = mm5.slice();
  evil[evil.length - 1] = (evil[evil.length - 1] ?? 0) ^ 0xff; // a flipped ciphertext byte
  const from = { address: new Uint8Array([10, 99, 2, 1]), port: 40000 };
  const to = { address: new Uint8Array([10, 99, 2, 2]), port: 4500 };
  p.r.engine.receive(to, from, evil);
  p.r.engine.receive(to, from, new Uint8Array(40)); // not ISAKMP at all
  p.r.engine.receive(to, from, mm5.slice(0, 30)); // truncated
  p.run('r');
  assert.equal(p.wire.length, 0, 'nothing answered');
  assert.equal(r.state, before.state);
  assert.ok(r.iv && before.iv && bytesEqual(r.iv, before.iv), 'the IV is unchanged');
  assert.equal(ep(r.remote), before.remote, 'no float to the forged source');
  assert.ok((p.r.engine.drops.get('malformed') ?? 0) >= 2);
  assert.ok((p.r.engine.drops.get('undecryptable') ?? 0) + (p.r.engine.drops.get('unexpected') ?? 0) >= 1);
});

test('no proposal in common: the responder refuses at MM1 (its notify: ikev1-error-notify.test.ts)', () => {
  const p = new Ikev1Pair(conf('i', { proposals: '3des-md5-modp1024' }), conf('r'));
  p.initiate('mm');
  p.flush();
  assert.equal(p.r.engine.list().length, 0);
  const ev = p.r.events.find((e) => e.kind === 'auth-failed');
  assert.ok(ev?.kind === 'auth-failed' && ev.notify === 'NO-PROPOSAL-CHOSEN');
});
