/**
 * RFC 7383 IKE fragmentation between two in-process engines (ikev2-pair.ts): certificate
 * authentication with a root -> intermediate -> end-entity chain of 3072-bit RSA keys made by
 * python3's cryptography (cert-chain.ts), so that IKE_AUTH exceeds fragment_size (1280: 1248
 * octets of IKE message on port 4500 over IPv4) both ways. Each side holds only the root
 * as trust anchor: the intermediate must travel in a CERT payload.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IkeCredentials } from '../../src/ikev2/credentials.js';
import { decodeIkeMessage } from '../../src/wire/ike/ike-decode.js';
import { certGateway, certRoadWarrior } from '../util/ikev2-swanctl.js';
import { makeChain, type TestChain } from './cert-chain.js';
import { type Datagram, IkePair } from './ikev2-pair.js';
import { configFromText } from './test-config.js';

type Fragmentation = 'yes' | 'accept' | 'force' | 'no';
const EXCHANGE = { proposals: 'aes128-sha256-modp2048', esp: 'aes128gcm16' };

const GW = (o: { fragmentation?: string; host?: string } = {}) =>
  certGateway({
    ...EXCHANGE,
    ...(o.fragmentation ? { fragmentation: o.fragmentation as Fragmentation } : {}),
    ...(o.host ? { esprit: o.host } : {}),
  });

const CLIENT = (o: { fragmentation?: string; proposals?: string; host?: string } = {}) =>
  certRoadWarrior({
    ...EXCHANGE,
    ...(o.proposals ? { proposals: o.proposals } : {}),
    ...(o.fragmentation ? { fragmentation: o.fragmentation as Fragmentation } : {}),
    ...(o.host ? { esprit: o.host } : {}),
  });

let chain: TestChain | undefined;
function certs(): TestChain {
  chain ??= makeChain(3072);
  return chain;
}

function creds(side: 'gw' | 'client'): IkeCredentials {
  const c = certs();
  return {
    cas: [c.root],
    certs: new Map([
      [`/etc/swanctl/x509/${side}.crt`, side === 'gw' ? c.gw : c.client],
      ['/etc/swanctl/x509/intermediate.crt', c.intermediate],
    ]),
    keys: [side === 'gw' ? c.gwKey : c.clientKey],
  };
}

function pair(gw = GW(), client = CLIENT()): IkePair {
  const files = { '/etc/swanctl/x509/gw.crt': '', '/etc/swanctl/x509/client.crt': '' };
  return new IkePair(configFromText(client, files), configFromText(gw, files), {
    credentials: { i: creds('client'), r: creds('gw') },
  });
}

/** IKE_SA_INIT both ways; returns with the IKE_AUTH request (all its datagrams) on the wire. */
function init(p: IkePair): void {
  p.initiate('home');
  // HDR, SA, KEi, Ni, N(NATD_S_IP), N(NATD_D_IP), N(FRAG_SUP), N(HASH_ALG) -->
  p.deliver(p.next());
  // <-- HDR, SA, KEr, Nr, N(NATD_S_IP), N(NATD_D_IP), N(FRAG_SUP), N(HASH_ALG), CERTREQ
  p.deliver(p.next());
}

function fragmentsOf(ds: Datagram[]): { number: number; total: number; bytes: number }[] {
  return ds.map((d) => {
    const m = decodeIkeMessage(d.bytes);
    const f = m.payloads.at(-1);
    assert.ok(f?.kind === 'SKF', `an SKF message, not ${f?.kind}`);
    return { number: f.fragmentNumber, total: f.totalFragments, bytes: d.bytes.length };
  });
}

function established(p: IkePair): void {
  assert.deepEqual(p.i.results, [{ requestId: 1, ok: true, reason: 'established' }]);
  assert.equal(p.i.installed.length, 1);
  assert.equal(p.r.installed.length, 1);
}

test('IKE_AUTH with certificate chains fragmented both ways (RFC 7383 §2.5), every fragment within 1248 octets', () => {
  const p = pair();
  init(p);
  assert.match(p.log('i', 'generating')[0] ?? '', / N\(FRAG_SUP\) /);
  assert.match(p.log('r', 'generating')[0] ?? '', / N\(FRAG_SUP\) /);
  // HDR, SKF{IDi, CERT, CERT, CERTREQ, IDr, AUTH, CPRQ, SA, TSi, TSr} x n -->
  const req = p.wire.splice(0);
  const rf = fragmentsOf(req);
  assert.ok(rf.length >= 2, `${rf.length} request fragments`);
  assert.deepEqual(
    rf.map((f) => [f.number, f.total]),
    rf.map((_, k) => [k + 1, rf.length]),
  );
  for (const f of rf) assert.ok(f.bytes <= 1248, `request fragment of ${f.bytes} octets`);
  for (const d of req) p.deliver(d);
  assert.match(
    p.log('r', 'parsed').at(-1) ?? '',
    /^IKE_AUTH request 1 \[ IDi N\(INIT_CONTACT\) CERT CERT CERTREQ IDr AUTH /,
  );
  // <-- HDR, SKF{IDr, CERT, CERT, AUTH, CPRP, SA, TSi, TSr} x m
  const rsp = p.wire.splice(0);
  const sf = fragmentsOf(rsp);
  assert.ok(sf.length >= 2, `${sf.length} response fragments`);
  for (const f of sf) assert.ok(f.bytes <= 1248, `response fragment of ${f.bytes} octets`);
  for (const d of rsp) p.deliver(d);
  assert.match(
    p.log('i', 'parsed').at(-1) ?? '',
    /^IKE_AUTH response 1 \[ IDr CERT CERT AUTH CPRP\(ADDR\) SA TSi TSr N\(MOBIKE_SUP\) N\(NO_ADD_ADDR\) \]$/,
  );
  established(p);
  assert.equal(p.r.engine.list()[0]?.defrag?.request, undefined, 'no reassembly state left');
  assert.equal(p.i.engine.list()[0]?.defrag?.response, undefined);
});

test('fragments out of order and one duplicated: reassembled, the duplicate ignored and counted', () => {
  const p = pair();
  init(p);
  const req = p.wire.splice(0);
  assert.ok(req.length >= 2);
  const first = req[0] as Datagram;
  for (const d of [...req].reverse()) p.deliver(d);
  p.deliver(first); // a duplicate after completion: a retransmission, answered from the cache
  const rsp = p.wire.splice(0);
  const total = fragmentsOf(rsp)[0]?.total ?? 0;
  // §2.6.1: fragment 1 of the processed request again -> the whole response again
  assert.equal(rsp.length, 2 * total);
  const once = rsp.slice(0, total);
  p.deliver(once[0] as Datagram);
  p.deliver(once[0] as Datagram);
  assert.equal(p.i.engine.drops.get('fragment-duplicate'), 1);
  for (const d of once.slice(1).reverse()) p.deliver(d);
  established(p);
});

test('a lost request fragment: the retransmission resends every fragment and completes the message', () => {
  const p = pair();
  init(p);
  const req = p.wire.splice(0);
  const n = req.length;
  for (const d of req.filter((_, k) => k !== 1)) p.deliver(d); // fragment 2 lost
  assert.equal(p.wire.length, 0, 'no response before the message is whole');
  assert.equal(p.r.engine.list()[0]?.defrag?.request?.pieces.size, n - 1);
  p.advance(4000);
  // RFC 7296 §2.1 schedule (4 s); RFC 7383 §2.6.1: all fragments are retransmitted
  const again = p.wire.splice(0);
  assert.equal(again.length, n);
  assert.ok(again.every((d) => d.from === 'i'));
  for (const d of again) p.deliver(d);
  // fragment 1 again: a duplicate; fragment 2 completes the message; fragments 3.. arrive after
  // it was processed and, not being fragment 1, are ignored (§2.6.1): one response only
  assert.equal(p.r.engine.drops.get('fragment-duplicate'), 1);
  assert.ok(p.wire.length >= 2 && p.wire.every((d) => d.from === 'r'));
  assert.equal(p.wire.length, fragmentsOf(p.wire)[0]?.total);
  p.flush();
  established(p);
});

test('a lost response fragment: only fragment 1 of the retransmitted request brings the response back (§2.6.1)', () => {
  const p = pair();
  init(p);
  for (const d of p.wire.splice(0)) p.deliver(d);
  const rsp = p.wire.splice(0);
  const m = rsp.length;
  assert.ok(m >= 2);
  for (const d of rsp.slice(0, -1)) p.deliver(d); // the last one lost
  assert.deepEqual(p.i.results, []);
  p.advance(4000);
  const again = p.wire.splice(0);
  for (const d of again) p.deliver(d);
  // n request fragments delivered, but the response went out once (m datagrams), not n times
  assert.equal(p.wire.length, m);
  p.flush();
  established(p);
});

test('a forged fragment (bad ICV) is dropped and counted; the real one still completes the message', () => {
  const p = pair();
  init(p);
  const req = p.wire.splice(0);
  const forged = { ...(req[1] as Datagram), bytes: (req[1] as Datagram).bytes.slice() };
  forged.bytes[60] = (forged.bytes[60] ?? 0) ^ 0x40;
  p.deliver(req[0] as Datagram);
  p.deliver(forged);
  assert.equal(p.r.engine.drops.get('icv'), 1);
  assert.equal(p.r.engine.list()[0]?.defrag?.request?.pieces.size, 1, 'the forgery was not stored');
  for (const d of req.slice(1)) p.deliver(d);
  p.flush();
  established(p);
});

test('limits: a message over max_packet is abandoned and never answered', () => {
  const p = pair(GW({ host: 'max_packet = 1500' }));
  init(p);
  for (const d of p.wire.splice(0)) p.deliver(d);
  assert.ok((p.r.engine.drops.get('fragment-limit') ?? 0) >= 1);
  assert.equal(p.wire.length, 0);
  assert.deepEqual(p.i.results, []);
});

test('fragmentation = no on the client: no N(FRAG_SUP) either way, IKE_AUTH goes as one datagram over 1248 octets', () => {
  const p = pair(GW(), CLIENT({ fragmentation: 'no' }));
  init(p);
  assert.doesNotMatch(p.log('i', 'generating')[0] ?? '', /FRAG_SUP/);
  assert.doesNotMatch(p.log('r', 'generating')[0] ?? '', /FRAG_SUP/);
  const req = p.wire.splice(0);
  assert.equal(req.length, 1);
  assert.ok((req[0] as Datagram).bytes.length > 1248);
  assert.equal(decodeIkeMessage((req[0] as Datagram).bytes).payloads.at(-1)?.kind, 'SK');
  p.deliver(req[0] as Datagram);
  assert.equal(p.wire.length, 1, 'the response is not fragmented either');
  p.flush();
  established(p);
});

test('fragmentation = force against a gateway with fragmentation = no: its fragments are dropped unopened', () => {
  const p = pair(GW({ fragmentation: 'no' }), CLIENT({ fragmentation: 'force' }));
  init(p);
  const req = p.wire.splice(0);
  assert.ok(req.length >= 2, 'force fragments without the peer announcing support');
  for (const d of req) p.deliver(d);
  assert.equal(p.r.engine.drops.get('fragment-unsupported'), req.length);
  assert.equal(p.wire.length, 0);
});

test('fragmentation = accept: announced, fragments taken, none sent (the response goes whole)', () => {
  const p = pair(GW({ fragmentation: 'accept' }));
  init(p);
  assert.match(p.log('r', 'generating')[0] ?? '', / N\(FRAG_SUP\) /);
  const req = p.wire.splice(0);
  assert.ok(req.length >= 2);
  for (const d of req) p.deliver(d);
  const rsp = p.wire.splice(0);
  assert.equal(rsp.length, 1);
  assert.ok((rsp[0] as Datagram).bytes.length > 1248);
  p.deliver(rsp[0] as Datagram);
  established(p);
});

test('after IKE_AUTH too: a CREATE_CHILD_SA over fragment_size is fragmented; a partial one expires after 30 s', () => {
  const p = pair(GW(), CLIENT({ host: 'fragment_size = 220' }));
  init(p);
  p.flush();
  established(p);
  // HDR, SKF{SA, Ni, KEi?, TSi, TSr} x n --> (a second CHILD SA of `net`)
  p.i.engine.initiate('home', new Uint8Array([10, 99, 1, 2]), new Uint8Array([10, 99, 2, 2]), 'net', 2);
  p.run('i');
  const req = p.wire.splice(0);
  const f = fragmentsOf(req);
  assert.ok(f.length >= 2, `${f.length} CREATE_CHILD_SA fragments`);
  for (const x of f) assert.ok(x.bytes <= 220 - 20 - 8 - 4, `${x.bytes} octets`);
  p.deliver(req[0] as Datagram);
  const sa = p.r.engine.list()[0];
  assert.equal(sa?.defrag?.request?.pieces.size, 1);
  const t0 = p.clock.now();
  assert.equal(p.r.engine.nextDeadline(), t0 + 30_000, 'the partial request has a deadline');
  p.clock.advance(29_999);
  p.r.engine.tick();
  assert.equal(sa?.defrag?.request?.pieces.size, 1);
  p.clock.advance(1);
  p.r.engine.tick();
  assert.equal(sa?.defrag?.request, undefined, 'expired');
  assert.equal(sa?.lifecycle.state, 'established', 'the IKE SA is untouched');
  // the initiator's retransmission (all fragments) still makes the CHILD SA
  p.i.engine.tick();
  p.run('i');
  assert.equal(p.wire.length, req.length);
  p.flush();
  assert.deepEqual(p.i.results.at(-1), { requestId: 2, ok: true, reason: 'established' });
  assert.equal(p.r.installed.length, 2);
});
