/**
 * MOBIKE (RFC 4555) between two in-process engines (test/exchange/ikev2-pair.ts), message by
 * message. The initiator starts on 10.99.1.2 (behind the pair's NAT, public 10.99.2.1, when
 * a test says so) and moves to 10.99.6.2 or 10.99.2.7; the responder is 10.99.2.2.
 * Expected payload lists use strongSwan's log notation; the RFC 4555 §3.5 flow is
 *
 *   HDR, SK { N(UPDATE_SA_ADDRESSES), N(NATD_S_IP), N(NATD_D_IP), N(COOKIE2),
 *             N(NO_ADDITIONAL_ADDRESSES) }  -->
 *                          <--  HDR, SK { N(NATD_S_IP), N(NATD_D_IP), N(COOKIE2) }
 *
 * (strongSwan 5.9.8 answers its own updates the same way: ike_mobike.c build_r puts NAT-D
 * before COOKIE2.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChildSaPlan } from '../../src/ikev2/ikev2-actions.js';
import { Notify } from '../../src/ikev2/ikev2-numbers.js';
import { notify } from '../../src/ikev2/payload-find.js';
import { sealMessage } from '../../src/ikev2/sk-message.js';
import { formatIp, parseIp } from '../../src/util/ip-addr.js';
import { SeededRng } from '../../src/util/rng.js';
import { ExchangeType } from '../../src/wire/ike/ike-types.js';
import { CLIENT, GW } from './exchange-configs.js';
import { ADDR, ep, IkePair } from './ikev2-pair.js';
import { configFromText } from './test-config.js';

const MOVED = parseIp('10.99.6.2').bytes;
const PUBLIC_MOVED = parseIp('10.99.2.7').bytes;

/** Both CHILD SAs up (net in IKE_AUTH, web by CREATE_CHILD_SA); the wire and the logs quiet. */
function established(o: { nat: boolean; gw?: string; client?: string }): IkePair {
  const p = new IkePair(configFromText(o.client ?? CLIENT()), configFromText(o.gw ?? GW()), { nat: o.nat });
  p.initiate('home');
  p.flush();
  p.i.engine.initiate('home', ADDR.initiator, ADDR.responder, 'web', 2);
  p.run('i');
  p.flush();
  assert.equal(p.i.installed.length, 2);
  assert.equal(p.r.installed.length, 2);
  return p;
}

const sas = (p: IkePair) => {
  const [si] = p.i.engine.list();
  const [sr] = p.r.engine.list();
  assert.ok(si && sr);
  return { si, sr };
};

/** The last update-child of each CHILD SA (by inbound SPI). */
function lastUpdates(list: ChildSaPlan[]): Map<number, ChildSaPlan> {
  const m = new Map<number, ChildSaPlan>();
  for (const u of list) m.set(u.inbound.spi, u);
  return m;
}

// message ID 3: IKE_AUTH was 1, the CREATE_CHILD_SA of `web` 2
const UPDATE_REQUEST = 'INFORMATIONAL request 3 [ N(UPD_SA_ADDR) N(NATD_S_IP) N(NATD_D_IP) N(COOKIE2) N(NO_ADD_ADDR) ]';
const UPDATE_RESPONSE = 'INFORMATIONAL response 3 [ N(NATD_S_IP) N(NATD_D_IP) N(COOKIE2) ]';

test('MOBIKE negotiated: MOBIKE_SUPPORTED both ways, ports floated, peer address lists stored', () => {
  const p = new IkePair(configFromText(CLIENT()), configFromText(GW()), { nat: false });
  // ADDITIONAL_*_ADDRESS (§3.4): the initiator's other addresses, not the one the IKE SA uses.
  p.i.engine.setLocalAddresses([ADDR.initiator, MOVED, parseIp('fd99:6::2').bytes]);
  p.initiate('home');
  p.flush();
  assert.equal(
    p.log('i', 'generating')[1],
    'IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH CPRQ(ADDR DNS) SA TSi TSr N(MOBIKE_SUP) N(ADD_4_ADDR) N(ADD_6_ADDR) ]',
  );
  assert.equal(
    p.log('r', 'generating')[1],
    'IKE_AUTH response 1 [ IDr AUTH CPRP(ADDR DNS) SA TSi TSr N(MOBIKE_SUP) N(NO_ADD_ADDR) ]',
  );
  const { si, sr } = sas(p);
  assert.equal(si.mobike, true);
  assert.equal(sr.mobike, true);
  assert.deepEqual(sr.peerAdditional.map(formatIp), ['10.99.6.2', 'fd99:6::2']);
  assert.deepEqual(si.peerAdditional, []);
});

test('address update without NAT: UPDATE_SA_ADDRESSES from the new address moves the IKE SA and both CHILD SAs on each side', () => {
  const p = established({ nat: false });
  const { si, sr } = sas(p);
  assert.equal(ep(sr.remote), '10.99.1.2:4500');

  assert.equal(p.i.engine.localAddressChanged(si.id, MOVED), true);
  p.run('i');
  // The initiator moved its CHILD SAs at once (§3.5, no return routability check first).
  const iu = lastUpdates(p.i.updated);
  assert.equal(iu.size, 2);
  for (const u of iu.values()) {
    assert.equal(formatIp(u.outbound.src), '10.99.6.2');
    assert.equal(formatIp(u.inbound.dst), '10.99.6.2');
    assert.equal(u.encap, undefined);
  }

  // HDR, SK { N(UPDATE_SA_ADDRESSES), N(NATD_S_IP), N(NATD_D_IP), N(COOKIE2), N(NO_ADD_ADDR) }  -->
  const req = p.next();
  assert.equal(ep(req.local), '10.99.6.2:4500', 'sent from the new address');
  assert.equal(ep(req.remote), '10.99.2.2:4500');
  assert.equal(p.log('i', 'generating').at(-1), UPDATE_REQUEST);
  p.deliver(req);

  // <--  HDR, SK { N(NATD_S_IP), N(NATD_D_IP), N(COOKIE2) }
  const resp = p.next();
  assert.equal(ep(resp.remote), '10.99.6.2:4500', 'answered to the new address');
  assert.equal(p.log('r', 'generating').at(-1), UPDATE_RESPONSE);
  assert.equal(ep(sr.remote), '10.99.6.2:4500');
  const ru = lastUpdates(p.r.updated);
  assert.equal(ru.size, 2, 'every CHILD SA of the IKE SA is updated');
  for (const u of ru.values()) {
    assert.equal(formatIp(u.inbound.src), '10.99.6.2');
    assert.equal(formatIp(u.outbound.dst), '10.99.6.2');
    assert.equal(u.encap, undefined);
  }
  p.deliver(resp);
  assert.equal(p.wire.length, 0);
  assert.ok(p.i.events.some((e) => e.kind === 'address-update' && e.result === 'done'));
  assert.ok(p.r.events.some((e) => e.kind === 'address-update' && e.role === 'responder' && e.result === 'done'));
  assert.equal(si.natDetected, false);
  assert.equal(si.lifecycle.state, 'established');

  // The IKE SA keeps working on the new path: a Delete goes out from 10.99.6.2.
  p.i.engine.terminate('home');
  p.run('i');
  const d = p.next();
  assert.equal(ep(d.local), '10.99.6.2:4500');
  p.deliver(d);
  p.flush();
  assert.equal(p.r.engine.list().length, 0);
});

test('address update into a NAT: NAT-D in the exchange turns UDP encapsulation and keepalives on', () => {
  const p = established({ nat: false });
  const { si, sr } = sas(p);
  assert.equal(p.i.installed[0]?.encap, undefined);
  // The new link is behind the NAT (public 10.99.2.1, the next port 30000).
  p.nat = new Map();
  p.natInside = MOVED;
  p.i.engine.localAddressChanged(si.id, MOVED);
  p.run('i');
  p.flush();
  assert.equal(ep(sr.remote), '10.99.2.1:30000');
  assert.equal(sr.remoteBehindNat, true);
  assert.equal(si.localBehindNat, true);
  for (const u of lastUpdates(p.r.updated).values()) {
    assert.deepEqual(u.encap, { localPort: 4500, remotePort: 30000 });
    assert.equal(u.float, true, 'the responder may follow the NATed peer on ESP');
    assert.equal(formatIp(u.outbound.dst), '10.99.2.1');
  }
  for (const u of lastUpdates(p.i.updated).values()) {
    assert.deepEqual(u.encap, { localPort: 4500, remotePort: 4500 });
    assert.equal(u.keepalive, true);
  }
  assert.ok(p.i.events.some((e) => e.kind === 'nat-detected' && e.local));
});

test('address update out of a NAT: encapsulation and keepalives turned off on both sides', () => {
  const p = established({ nat: true });
  const { si, sr } = sas(p);
  assert.equal(ep(sr.remote), '10.99.2.1:30001');
  assert.deepEqual(p.i.installed[0]?.encap, { localPort: 4500, remotePort: 4500 });
  p.nat = undefined;
  p.i.engine.localAddressChanged(si.id, PUBLIC_MOVED);
  p.run('i');
  p.flush();
  assert.equal(ep(sr.remote), '10.99.2.7:4500');
  assert.equal(sr.remoteBehindNat, false);
  assert.equal(si.localBehindNat, false);
  for (const side of [p.i, p.r]) {
    const u = lastUpdates(side.updated);
    assert.equal(u.size, 2);
    for (const plan of u.values()) {
      assert.equal(plan.encap, undefined, 'plain ESP again');
      assert.equal(plan.keepalive, false);
      assert.equal(plan.float, false);
    }
  }
});

test('a lost UPDATE_SA_ADDRESSES is retransmitted from the new address with the same bytes and then applied', () => {
  const p = established({ nat: false });
  const { si, sr } = sas(p);
  p.i.engine.localAddressChanged(si.id, MOVED);
  p.run('i');
  const lost = p.next();
  assert.equal(p.wire.length, 0);
  assert.equal(ep(sr.remote), '10.99.1.2:4500', 'nothing moved on the responder');
  p.advance(4000);
  const again = p.next();
  assert.equal(ep(again.local), '10.99.6.2:4500');
  assert.deepEqual(again.bytes, lost.bytes);
  p.deliver(again);
  p.flush();
  assert.equal(ep(sr.remote), '10.99.6.2:4500');
  assert.ok(p.i.events.some((e) => e.kind === 'address-update' && e.result === 'done'));
});

test('an address change during an outstanding request: the request is retransmitted from the new address, the update follows', () => {
  const p = established({ nat: false });
  const { si, sr } = sas(p);
  // A third CHILD SA: its CREATE_CHILD_SA request is lost on the old path.
  p.i.engine.initiate('home', ADDR.initiator, ADDR.responder, 'web', 3);
  p.run('i');
  const lost = p.next();
  assert.equal(ep(lost.local), '10.99.1.2:4500');
  p.i.engine.localAddressChanged(si.id, MOVED);
  p.run('i');
  assert.equal(p.wire.length, 0, 'the update waits for the window (§2.3)');
  p.advance(4000);
  const again = p.next();
  assert.equal(ep(again.local), '10.99.6.2:4500', '§3.5: outstanding requests go to the new addresses');
  assert.deepEqual(again.bytes, lost.bytes);
  p.deliver(again);
  p.deliver(p.next()); // the CREATE_CHILD_SA response
  assert.equal(
    p.log('i', 'generating').at(-1),
    'INFORMATIONAL request 4 [ N(UPD_SA_ADDR) N(NATD_S_IP) N(NATD_D_IP) N(COOKIE2) N(NO_ADD_ADDR) ]',
  );
  p.flush();
  assert.equal(ep(sr.remote), '10.99.6.2:4500');
  assert.equal(sr.children.length, 3);
  assert.equal(lastUpdates(p.r.updated).size, 3, 'the CHILD SA made on the way moves too');
});

test('COOKIE2 mismatch: a response echoing another COOKIE2 closes the IKE SA (RFC 4555 §3.7)', () => {
  const p = established({ nat: false });
  const { si, sr } = sas(p);
  p.i.engine.localAddressChanged(si.id, MOVED);
  p.run('i');
  const req = p.next();
  // An authentic response (the responder's keys) with a COOKIE2 that is not ours.
  const bad = sealMessage(
    sr,
    ExchangeType.INFORMATIONAL,
    true,
    3,
    [notify(Notify.COOKIE2, new Uint8Array(16).fill(0x5a))],
    new SeededRng(99n),
  );
  p.i.engine.receive(req.local, req.remote, bad);
  p.run('i');
  assert.equal(si.lifecycle.state, 'destroying');
  assert.equal(si.downReason, 'MOBIKE: COOKIE2 mismatch');
  assert.ok(p.i.events.some((e) => e.kind === 'address-update' && e.result === 'cookie2-mismatch'));
});

test('unauthenticated UPDATE_SA_ADDRESSES moves nothing: a bad ICV from another address is dropped', () => {
  const p = established({ nat: false });
  const { si, sr } = sas(p);
  p.i.engine.localAddressChanged(si.id, MOVED);
  p.run('i');
  const req = p.next();
  const forged = req.bytes.slice();
  forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 1;
  p.r.engine.receive(req.remote, { address: parseIp('192.0.2.66').bytes, port: 4500 }, forged);
  p.run('r');
  assert.equal(p.r.engine.drops.get('icv'), 1);
  assert.equal(ep(sr.remote), '10.99.1.2:4500');
  assert.equal(p.r.updated.length, 0);
  assert.equal(p.wire.length, 0);
  // The real one still moves the SA.
  p.deliver(req);
  p.flush();
  assert.equal(ep(sr.remote), '10.99.6.2:4500');
});

test('UNACCEPTABLE_ADDRESSES: the responder refuses an address outside remote_addrs; the initiator keeps its old addresses', () => {
  const p = established({ nat: false, gw: GW({ remoteAddrs: '10.99.1.0/24' }) });
  const { si, sr } = sas(p);
  p.i.engine.localAddressChanged(si.id, MOVED);
  p.run('i');
  p.deliver(p.next());
  assert.equal(p.log('r', 'generating').at(-1), 'INFORMATIONAL response 3 [ N(UNACCEPT_ADDR) N(COOKIE2) ]');
  assert.equal(ep(sr.remote), '10.99.1.2:4500');
  assert.equal(p.r.updated.length, 0);
  p.flush();
  assert.equal(ep(si.local), '10.99.1.2:4500', 'back on the previous addresses');
  for (const u of lastUpdates(p.i.updated).values()) assert.equal(formatIp(u.outbound.src), '10.99.1.2');
  assert.ok(p.i.events.some((e) => e.kind === 'address-update' && e.result === 'unacceptable'));
  assert.equal(si.lifecycle.state, 'established');
});

for (const side of ['client', 'gateway'] as const) {
  test(`mobike = no on the ${side}: no MOBIKE, no float without NAT, and no UPDATE_SA_ADDRESSES is sent`, () => {
    const p = established({
      nat: false,
      client: CLIENT({ mobike: side !== 'client' }),
      gw: GW({ mobike: side !== 'gateway' }),
    });
    const { si, sr } = sas(p);
    assert.equal(si.mobike, false);
    assert.equal(sr.mobike, false);
    assert.doesNotMatch(p.log('r', 'generating')[1] ?? '', /MOBIKE_SUP/);
    if (side === 'client') {
      assert.doesNotMatch(p.log('i', 'generating')[1] ?? '', /MOBIKE_SUP/);
      assert.equal(si.local.port, 500, 'no float without NAT when MOBIKE is off');
    }
    assert.equal(p.i.engine.localAddressChanged(si.id, MOVED), false);
    p.run('i');
    assert.equal(p.wire.length, 0);
    assert.equal(formatIp(si.local.address), '10.99.1.2');
    assert.equal(p.i.updated.length, 0);
  });
}

test('the gateway rekeys a CHILD SA of a client with a virtual IP (what strongSwan 5.9.8 with kernel-libipsec does after UPDATE_SA_ADDRESSES): the client accepts its lease as TSr', () => {
  const p = established({ nat: true, gw: GW({ rekey: '60s' }) });
  p.advance(60_000);
  // HDR, SK {N(REKEY_SA), SA, Ni, TSi(10.99.3.0/24), TSr(10.99.100.1)}  -->   (from the gateway)
  const req = p.next();
  assert.equal(req.from, 'r');
  p.deliver(req);
  assert.match(p.log('i', 'generating').at(-1) ?? '', /^CREATE_CHILD_SA response \d+ \[ SA No TSi TSr \]$/);
  p.flush();
  assert.equal(p.i.installed.length, 3, 'the replacement CHILD SA is installed on the client');
  assert.equal(formatIp(p.i.installed[2]?.localTs[0]?.startAddr ?? new Uint8Array(4)), '10.99.100.1');
});

test('NAT mapping change (RFC 4555 §3.8): a liveness check with NAT-D finds a new mapping and the initiator sends UPDATE_SA_ADDRESSES', () => {
  const p = established({ nat: true, client: CLIENT({ dpd: '30s' }) });
  const { sr } = sas(p);
  assert.equal(ep(sr.remote), '10.99.2.1:30001');
  // The NAT reboots: the client's next packet leaves from public port 30002.
  p.nat?.clear();
  p.advance(30_000);
  // HDR, SK { N(NATD_S_IP), N(NATD_D_IP) }  -->   (DPD of an initiator behind a NAT)
  const dpd = p.next();
  assert.equal(p.log('i', 'generating').at(-1), 'INFORMATIONAL request 3 [ N(NATD_S_IP) N(NATD_D_IP) ]');
  p.deliver(dpd);
  // <--  HDR, SK { N(NATD_S_IP), N(NATD_D_IP) }, to where the request came from; nothing moved.
  const reply = p.next();
  assert.equal(ep(reply.remote), '10.99.2.1:30002');
  assert.equal(p.log('r', 'generating').at(-1), 'INFORMATIONAL response 3 [ N(NATD_S_IP) N(NATD_D_IP) ]');
  assert.equal(ep(sr.remote), '10.99.2.1:30001', 'with MOBIKE an IKE message alone does not move the IKE SA');
  assert.equal(p.r.updated.length, 0);
  p.deliver(reply);
  // The DESTINATION hash differs from IKE_SA_INIT's: UPDATE_SA_ADDRESSES follows.
  assert.equal(
    p.log('i', 'generating').at(-1),
    'INFORMATIONAL request 4 [ N(UPD_SA_ADDR) N(NATD_S_IP) N(NATD_D_IP) N(COOKIE2) N(NO_ADD_ADDR) ]',
  );
  p.flush();
  assert.equal(ep(sr.remote), '10.99.2.1:30002');
  const ru = lastUpdates(p.r.updated);
  assert.equal(ru.size, 2);
  for (const u of ru.values()) assert.equal(u.encap?.remotePort, 30002);
  // The next check finds the mapping unchanged: no further update.
  p.advance(30_000);
  p.flush();
  assert.equal(p.log('i', 'generating').filter((l) => l.includes('UPD_SA_ADDR')).length, 1);
});

test('a NAT appears on an unchanged address: the next liveness check notices it and the update turns UDP encapsulation on', () => {
  const p = established({ nat: false, client: CLIENT({ dpd: '30s' }) });
  const { si, sr } = sas(p);
  assert.equal(p.i.installed[0]?.encap, undefined);
  p.nat = new Map(); // from now on the initiator's packets leave as 10.99.2.1:30000
  p.advance(30_000);
  assert.equal(p.log('i', 'generating').at(-1), 'INFORMATIONAL request 3 [ N(NATD_S_IP) N(NATD_D_IP) ]');
  p.flush();
  assert.ok(p.log('i', 'generating').some((l) => l.startsWith('INFORMATIONAL request 4 [ N(UPD_SA_ADDR)')));
  assert.equal(ep(sr.remote), '10.99.2.1:30000');
  assert.equal(si.localBehindNat, true);
  assert.equal(sr.remoteBehindNat, true);
  for (const u of lastUpdates(p.i.updated).values()) {
    assert.deepEqual(u.encap, { localPort: 4500, remotePort: 4500 });
    assert.equal(u.keepalive, true);
  }
  for (const u of lastUpdates(p.r.updated).values()) assert.deepEqual(u.encap, { localPort: 4500, remotePort: 30000 });
});
