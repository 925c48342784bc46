/**
 * IKEv2 between two in-process engines (test/exchange/ikev2-pair.ts), scripted message by
 * message in RFC 7296 notation. The initiator (10.99.1.2) sits behind a NAT (public
 * 10.99.2.1, random ports) unless a test says otherwise; the responder is 10.99.2.2.
 * Expected payload lists are strongSwan's log notation for the same exchanges (compare the
 * charon logs in ../shared/lab/results/tunnel-test-ikev2.out).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesEqual } from '../../src/util/hex.js';
import { formatIp } from '../../src/util/ip-addr.js';
import { CLIENT, GW } from './exchange-configs.js';
import { ADDR, IkePair } from './ikev2-pair.js';
import { configFromText } from './test-config.js';

function pair(gw = GW(), client = CLIENT(), opts: { nat?: boolean; cookieThreshold?: number } = {}): IkePair {
  return new IkePair(configFromText(client), configFromText(gw), opts);
}

test('IKE_SA_INIT and IKE_AUTH with PSK through a NAT: float to 4500, virtual IP, CHILD SA keys mirror', () => {
  const p = pair();
  p.initiate('home');

  // HDR, SAi1, KEi, Ni, N(NATD_S_IP), N(NATD_D_IP)  -->
  const m1 = p.next();
  assert.equal(m1.from, 'i');
  assert.equal(m1.local.port, 500);
  assert.equal(m1.remote.port, 500);
  assert.deepEqual(p.log('i', 'generating'), [
    'IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) ]',
  ]);
  p.deliver(m1);

  // <--  HDR, SAr1, KEr, Nr, N(NATD_S_IP), N(NATD_D_IP)
  const m2 = p.next();
  assert.equal(m2.from, 'r');
  assert.equal(
    p.log('r', 'generating')[0],
    'IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) ]',
  );
  p.deliver(m2);

  // HDR, SK {IDi, IDr, AUTH, CP(CFG_REQUEST), SAi2, TSi, TSr, N(MOBIKE_SUPPORTED),
  //          N(NO_ADDITIONAL_ADDRESSES)}  -->   (from port 4500 now, §2.23)
  const m3 = p.next();
  assert.equal(m3.local.port, 4500, 'the initiator floats to 4500 after detecting the NAT');
  assert.equal(m3.remote.port, 4500);
  assert.equal(
    p.log('i', 'generating')[1],
    'IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH CPRQ(ADDR DNS) SA TSi TSr N(MOBIKE_SUP) N(NO_ADD_ADDR) ]',
  );
  p.deliver(m3);

  // <--  HDR, SK {IDr, AUTH, CP(CFG_REPLY), SAr2, TSi, TSr, N(MOBIKE_SUPPORTED), N(NO_ADDITIONAL_ADDRESSES)}
  const m4 = p.next();
  assert.equal(m4.local.port, 4500);
  assert.equal(m4.remote.port, 30001, "the responder answers the NAT's mapping of port 4500");
  assert.equal(
    p.log('r', 'generating')[1],
    'IKE_AUTH response 1 [ IDr AUTH CPRP(ADDR DNS) SA TSi TSr N(MOBIKE_SUP) N(NO_ADD_ADDR) ]',
  );
  p.deliver(m4);
  assert.equal(p.wire.length, 0);

  const [si] = p.i.engine.list();
  const [sr] = p.r.engine.list();
  assert.ok(si && sr);
  assert.equal(si.lifecycle.state, 'established');
  assert.equal(sr.lifecycle.state, 'established');
  assert.equal(si.localBehindNat, true);
  assert.equal(si.remoteBehindNat, false);
  assert.equal(sr.localBehindNat, false);
  assert.equal(sr.remoteBehindNat, true);
  assert.equal(formatIp(sr.remote.address), '10.99.2.1');

  // CP: the first address of the pool, DNS from the pool (RFC 7296 §3.15).
  assert.deepEqual(p.i.vips.map(formatIp), ['10.99.100.1']);
  assert.deepEqual(p.i.results, [{ requestId: 1, ok: true, reason: 'established' }]);

  const ci = p.i.installed[0];
  const cr = p.r.installed[0];
  assert.ok(ci && cr);
  assert.equal(ci.inbound.spi, cr.outbound.spi);
  assert.equal(ci.outbound.spi, cr.inbound.spi);
  assert.ok(bytesEqual(ci.outbound.encrKey, cr.inbound.encrKey), 'initiator->responder key');
  assert.ok(bytesEqual(ci.inbound.encrKey, cr.outbound.encrKey), 'responder->initiator key');
  assert.ok(!bytesEqual(ci.inbound.encrKey, ci.outbound.encrKey));
  assert.equal(ci.outbound.encrKey.length, 20, 'AES-GCM-128 key plus 4-byte salt (RFC 4106 §8.1)');
  assert.deepEqual(ci.encap, { localPort: 4500, remotePort: 4500 });
  assert.deepEqual(cr.encap, { localPort: 4500, remotePort: 30001 });
  assert.equal(ci.keepalive, true, 'the side behind the NAT sends keepalives');
  assert.equal(cr.keepalive, false);
  // §2.9: TSi narrowed to the lease.
  assert.equal(formatIp(ci.localTs[0]?.startAddr ?? new Uint8Array(4)), '10.99.100.1');
  assert.equal(formatIp(ci.localTs[0]?.endAddr ?? new Uint8Array(4)), '10.99.100.1');
  assert.equal(formatIp(cr.remoteTs[0]?.startAddr ?? new Uint8Array(4)), '10.99.100.1');
  assert.ok(p.i.events.some((e) => e.kind === 'nat-detected' && e.local && !e.remote));
  assert.ok(p.r.events.some((e) => e.kind === 'nat-detected' && !e.local && e.remote));
  assert.ok(p.i.events.some((e) => e.kind === 'ike-up'));
  assert.ok(p.i.events.some((e) => e.kind === 'child-up'));
});

test('no NAT, mobike = no: no float, no encapsulation, no keepalive', () => {
  const p = pair(GW(), CLIENT({ mobike: false }), { nat: false });
  p.initiate('home');
  p.flush();
  const ci = p.i.installed[0];
  assert.ok(ci);
  assert.equal(ci.encap, undefined);
  assert.equal(ci.keepalive, false);
  const [si] = p.i.engine.list();
  assert.equal(si?.local.port, 500);
  assert.equal(si?.natDetected, false);
});

test('no NAT with MOBIKE (the default): the initiator floats to 4500 anyway (RFC 4555 §3.3), ESP stays plain', () => {
  const p = pair(GW(), CLIENT(), { nat: false });
  p.initiate('home');
  p.flush();
  const [si] = p.i.engine.list();
  const [sr] = p.r.engine.list();
  assert.equal(si?.local.port, 4500);
  assert.equal(si?.remote.port, 4500);
  assert.equal(sr?.remote.port, 4500, 'the responder follows the IKE_AUTH request to 4500');
  assert.equal(si?.natDetected, false);
  assert.equal(si?.mobike, true);
  assert.equal(sr?.mobike, true);
  assert.equal(p.i.installed[0]?.encap, undefined, 'no NAT: ESP is not UDP-encapsulated');
  assert.equal(p.r.installed[0]?.encap, undefined);
});

test('encap = yes without a NAT: NAT-D faked, both sides encapsulate on 4500 (strongSwan force-encap)', () => {
  const p = pair(GW(), CLIENT({ encap: true }), { nat: false });
  p.initiate('home');
  p.flush();
  const ci = p.i.installed[0];
  const cr = p.r.installed[0];
  assert.deepEqual(ci?.encap, { localPort: 4500, remotePort: 4500 });
  assert.deepEqual(cr?.encap, { localPort: 4500, remotePort: 4500 });
  const [sr] = p.r.engine.list();
  assert.equal(sr?.remoteBehindNat, true, 'the responder believes the initiator is behind a NAT');
  assert.ok(p.i.events.some((e) => e.kind === 'nat-detected' && e.faked));
});

test('lost IKE_SA_INIT response: retransmitted after 4 s with the same bytes; duplicate IKE_AUTH answered from the cache', () => {
  const p = pair();
  p.initiate('home');
  const m1 = p.next();
  p.deliver(m1);
  p.next(); // the response is lost
  p.advance(3999);
  assert.equal(p.wire.length, 0, 'no retransmission before 4 s');
  p.advance(1);
  const again = p.next();
  assert.ok(bytesEqual(again.bytes, m1.bytes), 'the same request again');
  assert.ok(p.i.events.some((e) => e.kind === 'retransmit' && e.attempt === 1));
  p.deliver(again);
  const m2 = p.next();
  p.deliver(m2);
  const m3 = p.next();
  p.deliver(m3);
  const m4 = p.next();
  // The IKE_AUTH request arrives twice: the second gets the cached response, nothing is redone.
  p.deliver({ ...m3 });
  const m4again = p.next();
  assert.ok(bytesEqual(m4again.bytes, m4.bytes), 'cached response resent');
  assert.equal(p.r.installed.length, 1, 'one CHILD SA only');
  p.deliver(m4);
  p.deliver(m4again); // a duplicate response is dropped
  assert.equal(p.i.installed.length, 1);
  assert.equal(p.i.engine.drops.get('outside-window'), 1);
});

test('retransmits exhausted: 5 retransmissions (4, 7.2, 12.96, 23.33, 41.99 s), then the IKE SA is given up after 165 s', () => {
  const p = pair();
  p.initiate('home');
  p.next();
  const times = [4000, 7200, 12960, 23328, 41990];
  for (const t of times) {
    p.advance(t);
    assert.equal(p.wire.length, 1, `retransmission after ${t} ms`);
    p.next();
  }
  p.advance(75583);
  assert.equal(p.wire.length, 0);
  assert.equal(p.i.engine.list().length, 0, 'IKE SA destroyed');
  assert.equal(p.i.results[0]?.ok, false);
  assert.match(p.i.results[0]?.reason ?? '', /IKE_SA_INIT/);
});

test('wrong PSK: AUTHENTICATION_FAILED from the responder, nothing installed on either side', () => {
  const p = pair(GW({ secret: 'another key' }));
  p.initiate('home');
  p.flush();
  assert.equal(p.log('r', 'generating')[1], 'IKE_AUTH response 1 [ N(AUTH_FAILED) ]');
  assert.deepEqual(p.i.results, [{ requestId: 1, ok: false, reason: 'AUTHENTICATION_FAILED from 10.99.2.2' }]);
  assert.equal(p.i.installed.length + p.r.installed.length, 0);
  assert.equal(p.i.engine.list().length, 0);
  assert.equal(p.r.engine.list().length, 0);
  assert.ok(p.r.events.some((e) => e.kind === 'auth-failed'));
  assert.ok(p.i.events.some((e) => e.kind === 'auth-failed' && e.notify === 'AUTHENTICATION_FAILED'));
});

test('unknown ID: the responder finds no connection for the peer identity and answers AUTHENTICATION_FAILED', () => {
  const p = pair(GW({ remoteId: 'someone-else.esprit.test' }));
  p.initiate('home');
  p.flush();
  assert.equal(p.i.results[0]?.reason, 'AUTHENTICATION_FAILED from 10.99.2.2');
  assert.equal(p.r.installed.length, 0);
});

test('no proposal: NO_PROPOSAL_CHOSEN in IKE_SA_INIT', () => {
  const p = pair(GW({ proposals: 'aes256-sha512-ecp384' }), CLIENT({ proposals: 'aes128-sha256-modp2048' }));
  p.initiate('home');
  p.flush();
  assert.equal(p.log('r', 'generating')[0], 'IKE_SA_INIT response 0 [ N(NO_PROP) ]');
  assert.equal(p.i.results[0]?.ok, false);
  assert.match(p.i.results[0]?.reason ?? '', /NO_PROPOSAL_CHOSEN/);
});

test('INVALID_KE_PAYLOAD: the initiator retries with the group the responder wants (RFC 7296 §1.2)', () => {
  const p = pair(GW({ proposals: 'aes128-sha256-modp2048' }), CLIENT({ proposals: 'aes128-sha256-x25519-modp2048' }));
  p.initiate('home');
  p.flush();
  const r = p.log('r', 'generating');
  assert.equal(r[0], 'IKE_SA_INIT response 0 [ N(INVAL_KE) ]');
  assert.equal(p.i.results[0]?.ok, true);
  assert.equal(p.i.engine.list()[0]?.proposal?.dh, 14);
});

test('TS_UNACCEPTABLE: the IKE SA comes up, the CHILD SA does not, and `up` reports why', () => {
  const p = pair(GW(), CLIENT({ remoteTs: '192.0.2.0/24' }));
  p.initiate('home');
  p.flush();
  assert.equal(
    p.log('r', 'generating')[1],
    'IKE_AUTH response 1 [ IDr AUTH CPRP(ADDR DNS) N(TS_UNACCEPT) N(MOBIKE_SUP) N(NO_ADD_ADDR) ]',
  );
  assert.equal(p.i.engine.list()[0]?.lifecycle.state, 'established');
  assert.equal(p.i.installed.length, 0);
  assert.deepEqual(p.i.results, [{ requestId: 1, ok: false, reason: 'TS_UNACCEPTABLE from 10.99.2.2' }]);
});

test('COOKIE: a responder over its threshold demands a cookie; the initiator retries with it first (RFC 7296 §2.6)', () => {
  const p = pair(GW(), CLIENT(), { cookieThreshold: 0 });
  p.initiate('home');
  p.deliver(p.next());
  assert.equal(p.log('r', 'generating').length, 0, 'the cookie reply is stateless and not logged as an SA message');
  const c = p.next();
  p.deliver(c);
  assert.match(
    p.log('i', 'generating')[1] ?? '',
    /^IKE_SA_INIT request 0 \[ N\(COOKIE\) SA KE No N\(NATD_S_IP\) N\(NATD_D_IP\) N\(FRAG_SUP\) \]$/,
  );
  p.flush();
  assert.equal(p.i.results[0]?.ok, true);
});

test('CREATE_CHILD_SA with PFS for a second CHILD SA; INFORMATIONAL Delete of it and of the IKE SA', () => {
  const p = pair();
  p.initiate('home');
  p.flush();
  p.i.engine.initiate('home', ADDR.initiator, ADDR.responder, 'web', 2);
  p.run('i');
  p.flush();
  assert.equal(p.log('i', 'generating')[2], 'CREATE_CHILD_SA request 2 [ SA No KE TSi TSr ]');
  assert.equal(p.log('r', 'generating')[2], 'CREATE_CHILD_SA response 2 [ SA No KE TSi TSr ]');
  assert.deepEqual(p.i.results[1], { requestId: 2, ok: true, reason: 'established' });
  const web = p.i.installed[1];
  assert.equal(web?.child, 'web');
  assert.equal(web?.encr.id, 12, 'AES-CBC');
  assert.equal(web?.integ, 12, 'HMAC-SHA2-256-128');
  assert.ok(
    bytesEqual(web?.outbound.encrKey ?? new Uint8Array(), p.r.installed[1]?.inbound.encrKey ?? new Uint8Array(1)),
  );

  // Liveness: an empty INFORMATIONAL is answered (§1.4).
  p.r.engine.terminate('rw');
  p.run('r');
  assert.equal(p.log('r', 'generating').at(-1), 'INFORMATIONAL request 0 [ D ]');
  p.flush();
  assert.equal(p.log('i', 'generating').at(-1), 'INFORMATIONAL response 0 [ ]');
  assert.equal(p.i.removed.length, 2, 'both CHILD SAs removed with the IKE SA');
  assert.equal(p.r.removed.length, 2);
  assert.equal(p.i.engine.list().length + p.r.engine.list().length, 0);
  assert.equal(p.i.vips.length, 0, 'virtual IP removed');
});

test('NAT rebinding without MOBIKE: an authenticated request from a new port moves the IKE SA and every CHILD SA on the responder', () => {
  // RFC 7296 §2.23's dynamic update; with MOBIKE it is not used for IKE (RFC 4555 §3.8).
  const p = pair(GW(), CLIENT({ mobike: false }));
  p.initiate('home');
  p.flush();
  // The NAT forgets its mappings: the next packet from port 4500 leaves from a new port.
  p.nat?.clear();
  const [si] = p.i.engine.list();
  assert.ok(si);
  p.i.engine.initiate('home', ADDR.initiator, ADDR.responder, 'web', 3);
  p.run('i');
  p.flush();
  const moved = p.r.events.find((e) => e.kind === 'mapping-changed');
  assert.ok(moved && moved.kind === 'mapping-changed');
  assert.equal(moved.from.port, 30001);
  assert.equal(moved.to.port, 30002);
  assert.equal(p.r.updated[0]?.encap?.remotePort, 30002, 'the existing CHILD SA follows');
  assert.equal(p.r.installed[1]?.encap?.remotePort, 30002, 'the new CHILD SA uses the new port');
});

test('garbage and forged messages change nothing: malformed bytes, a bad ICV on a valid header', () => {
  const p = pair();
  p.initiate('home');
  p.flush();
  const [sr] = p.r.engine.list();
  assert.ok(sr);
  p.r.engine.receive(
    { address: ADDR.responder, port: 4500 },
    { address: ADDR.natPublic, port: 30001 },
    new Uint8Array([1, 2, 3]),
  );
  // A Delete for the IKE SA with a valid header and a broken ICV.
  p.i.engine.terminate('home');
  p.run('i');
  const d = p.next();
  const forged = d.bytes.slice();
  forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 1;
  p.deliver({ ...d, bytes: forged });
  assert.equal(p.r.engine.list().length, 1, 'the IKE SA is still there');
  assert.equal(p.r.engine.drops.get('malformed'), 1);
  assert.equal(p.r.engine.drops.get('icv'), 1);
  assert.equal(sr.lifecycle.state, 'established');
  // The real one still works afterwards (the window did not move).
  p.deliver(d);
  assert.equal(p.r.engine.list().length, 0);
});

test('reload: an unchanged connection keeps its IKE SA, a changed one is deleted with a Delete exchange', () => {
  const p = pair();
  p.initiate('home');
  p.flush();
  const [sr] = p.r.engine.list();
  assert.ok(sr);
  assert.deepEqual(p.r.engine.reload(configFromText(GW())), [], 'same text: nothing dropped');
  assert.equal(p.r.engine.list().length, 1);
  assert.notEqual(sr.conn, undefined);
  const dropped = p.r.engine.reload(configFromText(GW({ ts: '10.99.6.0/24' })));
  assert.deepEqual(dropped, ['rw']);
  p.run('r');
  assert.equal(p.log('r', 'generating').at(-1), 'INFORMATIONAL request 0 [ D ]');
  p.flush();
  assert.equal(p.r.engine.list().length, 0);
  assert.equal(p.i.engine.list().length, 0, 'the peer deleted its side too');
});

test('INITIAL_CONTACT (RFC 7296 §3.16): a client that crashed connects again; the gateway drops the stale IKE SA and gives the same virtual IP', () => {
  const p = pair(GW({ pool: '10.99.100.7-10.99.100.7' }));
  p.initiate('home');
  p.flush();
  const [old] = p.i.engine.list();
  assert.ok(old);
  p.i.engine.destroy(old, 'test');
  p.run('i');
  p.initiate('home', undefined, 2);
  p.flush();
  assert.match(p.log('i', 'generating')[1] ?? '', /^IKE_AUTH request 1 \[ IDi N\(INIT_CONTACT\) /);
  assert.deepEqual(p.i.results.at(-1), { requestId: 2, ok: true, reason: 'established' });
  assert.deepEqual(p.i.vips.map(formatIp), ['10.99.100.7'], 'the one address of the pool again');
  assert.equal(p.r.engine.list().length, 1, 'the stale IKE SA is gone');
  assert.equal(p.r.removed.length, 1, 'with its CHILD SA');
  assert.ok(p.r.events.some((e) => e.kind === 'ike-down' && e.reason.startsWith('replaced')));
});

test('INTERNAL_ADDRESS_FAILURE: an exhausted pool answers the CP request with the notify and no CHILD SA', () => {
  // unique = never: INITIAL_CONTACT does not free the first lease.
  const p = pair(GW({ pool: '10.99.100.7-10.99.100.7' }).replace('pools = rw4', 'pools = rw4\n    unique = never'));
  p.initiate('home');
  p.flush();
  assert.deepEqual(p.i.vips.map(formatIp), ['10.99.100.7']);
  // The client forgets its IKE SA (a crash) and connects again: its first lease is still
  // online on the gateway, the pool has nothing else.
  const [old] = p.i.engine.list();
  assert.ok(old);
  p.i.engine.destroy(old, 'test');
  p.run('i');
  p.initiate('home', undefined, 2);
  p.flush();
  assert.equal(
    p.log('r', 'generating').at(-1),
    'IKE_AUTH response 1 [ IDr AUTH N(INT_ADDR_FAIL) N(MOBIKE_SUP) N(NO_ADD_ADDR) ]',
  );
  assert.deepEqual(p.i.results.at(-1), { requestId: 2, ok: false, reason: 'INTERNAL_ADDRESS_FAILURE from 10.99.2.2' });
  assert.equal(p.r.installed.length, 1, 'only the first CHILD SA');
});

test('DPD (RFC 7296 §2.4): idle for dpd_delay -> empty INFORMATIONAL; a vanished peer is declared dead after the retransmissions, its lease freed', () => {
  const gw = GW().replace('pools = rw4', 'pools = rw4\n    dpd_delay = 30s');
  const p = pair(gw);
  p.initiate('home');
  p.flush();
  // The client goes silent: nothing it sends is answered any more (and it sends nothing).
  p.advance(29_999);
  assert.equal(p.wire.length, 0, 'no check before dpd_delay');
  p.advance(1);
  const check = p.next();
  assert.equal(check.from, 'r');
  assert.equal(p.log('r', 'generating').at(-1), 'INFORMATIONAL request 0 [ ]');
  // A live peer answers, and the next check comes dpd_delay after that answer.
  p.deliver(check);
  p.deliver(p.next());
  assert.equal(p.r.engine.list().length, 1);
  p.advance(30_000);
  p.next(); // lost: the client is gone now
  for (const t of [4000, 7200, 12960, 23328, 41990]) {
    p.advance(t);
    p.wire.length = 0;
  }
  p.advance(75583);
  assert.equal(p.r.engine.list().length, 0, 'the IKE SA is gone');
  assert.ok(p.r.events.some((e) => e.kind === 'ike-down' && e.reason.startsWith('DPD')));
  assert.equal(p.r.removed.length, 1, 'its CHILD SA removed');
  assert.equal(p.r.engine.pools.get('rw4')?.online, 0, 'the virtual IP is free again');
});

test('CHILD SA rekey (RFC 7296 §1.3.3): at rekey_time the new CHILD SA is made with REKEY_SA, installed, then the old one deleted', () => {
  const p = pair(GW(), CLIENT({ rekey: '60s' }));
  p.initiate('home');
  p.flush();
  const old = p.i.installed[0];
  assert.ok(old);
  p.advance(59_999);
  assert.equal(p.wire.length, 0, 'not before rekey_time');
  p.advance(1);
  assert.equal(p.log('i', 'generating').at(-1), 'CREATE_CHILD_SA request 2 [ N(REKEY_SA) SA No TSi TSr ]');
  p.flush();
  assert.equal(p.log('r', 'generating').at(-2), 'CREATE_CHILD_SA response 2 [ SA No TSi TSr ]');
  assert.equal(
    p.log('i', 'generating').at(-1),
    'INFORMATIONAL request 3 [ D ]',
    'the old CHILD SA is deleted after the new one is up',
  );
  assert.equal(p.i.installed.length, 2);
  assert.equal(p.r.installed.length, 2);
  assert.equal(p.i.removed[0]?.inbound.spi, old.inbound.spi);
  assert.equal(p.r.removed[0]?.outbound.spi, old.inbound.spi);
  // The responder's new outbound SA waited for the Delete of the old CHILD SA, and came in
  // before the old one's removal (no gap, no packet ahead of the peer's new inbound SA).
  assert.equal(p.r.installed[1]?.deferOutbound, false);
  assert.deepEqual(p.r.activated[0], { spiOut: p.r.installed[1]?.outbound.spi, removedBefore: 0 });
  const [si] = p.i.engine.list();
  const [sr] = p.r.engine.list();
  assert.equal(si?.children.length, 1);
  assert.equal(sr?.children.length, 1);
  assert.notEqual(si?.children[0]?.spiIn, old.inbound.spi, 'new SPIs');
  assert.deepEqual(si?.children[0]?.localTs, si?.children[0]?.localTs, 'same selectors');
  // and it goes on: the next rekey 60 s later
  p.advance(60_000);
  p.flush();
  assert.equal(p.i.installed.length, 3);
  assert.equal(p.i.engine.list()[0]?.children.length, 1);
});

test('IKE SA rekey (RFC 7296 §1.3.2, §2.18): at rekey_time a new IKE SA takes over the CHILD SA and lease, the old one is deleted', () => {
  const client = CLIENT().replace('vips = 0.0.0.0', 'vips = 0.0.0.0\n    rekey_time = 60s\n    rand_time = 0');
  const p = pair(GW(), client);
  p.initiate('home');
  p.flush();
  const [oi] = p.i.engine.list();
  const [or] = p.r.engine.list();
  assert.ok(oi && or);
  const child = oi.children[0];
  p.advance(60_000);
  assert.equal(p.log('i', 'generating').at(-1), 'CREATE_CHILD_SA request 2 [ SA No KE ]');
  p.flush();
  assert.equal(p.log('r', 'generating').at(-2), 'CREATE_CHILD_SA response 2 [ SA No KE ]');
  assert.equal(p.log('i', 'generating').at(-1), 'INFORMATIONAL request 3 [ D ]', 'the old IKE SA is deleted');
  const [ni] = p.i.engine.list();
  const [nr] = p.r.engine.list();
  assert.equal(p.i.engine.list().length, 1);
  assert.equal(p.r.engine.list().length, 1);
  assert.ok(ni && nr);
  assert.notEqual(ni.spiI, oi.spiI, 'new SPIs');
  assert.equal(ni.spiI, nr.spiI);
  assert.equal(ni.spiR, nr.spiR);
  assert.equal(ni.children[0], child, 'the CHILD SA moved, not rebuilt');
  assert.deepEqual(
    nr.vipsRemote.map((v) => v.address),
    ['10.99.100.1'],
    'the lease moved',
  );
  assert.equal(p.i.removed.length + p.r.removed.length, 0, 'no CHILD SA removed');
  assert.equal(p.i.vips.length, 1, 'the virtual IP stays');
  // The new IKE SA works: a CHILD SA over it (its message IDs start at 0, §2.18).
  p.i.engine.initiate('home', ADDR.initiator, ADDR.responder, 'web', 9);
  p.run('i');
  p.flush();
  assert.equal(p.log('i', 'generating').at(-1), 'CREATE_CHILD_SA request 0 [ SA No KE TSi TSr ]');
  assert.deepEqual(p.i.results.at(-1), { requestId: 9, ok: true, reason: 'established' });
});
