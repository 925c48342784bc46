/**
 * What keeps an IKE SA up for weeks, between two in-process engines: lifetimes and soft/hard
 * EXPIRE, the uniqueness policy, and rekey collisions (RFC 7296 §2.8.1, §2.8.2, §2.25): both
 * peers rekey the same SA at the same moment (rekey_time equal, rand_time = 0), the two
 * requests cross on the wire, each peer answers the other's. The test reads the four nonces
 * from the decrypted messages on the wire and decides itself, octet by octet, which exchange
 * made the redundant SA; several seeds so that both outcomes happen.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IkeSa } from '../../src/ikev2/ike-sa.js';
import { Ikev2Engine } from '../../src/ikev2/ikev2-engine.js';
import { openMessage } from '../../src/ikev2/sk-message.js';
import { formatIp } from '../../src/util/ip-addr.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { SeededRng } from '../../src/util/rng.js';
import { decodeIkeMessage } from '../../src/wire/ike/ike-decode.js';
import type { IkePayload } from '../../src/wire/ike/ike-types.js';
import { ADDR, type Datagram, IkePair } from './ikev2-pair.js';
import { configFromText } from './test-config.js';

const conf = (o: {
  gw: boolean;
  ikeRekey?: boolean;
  childRekey?: boolean;
  /** only the client rekeys its CHILD SA */
  clientChildRekey?: boolean;
  childExtra?: string;
  unique?: string;
  connExtra?: string;
}): string => `
connections {
  ${o.gw ? 'rw' : 'home'} {
    ${o.gw ? 'local_addrs = 10.99.2.2\n    pools = rw4' : 'remote_addrs = 10.99.2.2\n    vips = 0.0.0.0'}
    proposals = aes128-sha256-modp2048
    ${o.ikeRekey ? 'rekey_time = 60s\n    rand_time = 0' : ''}
    ${o.gw && o.unique ? `unique = ${o.unique}` : ''}
    ${o.gw ? '' : (o.connExtra ?? '')}
    local {
      auth = psk
      id = ${o.gw ? 'gw' : 'client'}.esprit.test
    }
    remote {
      auth = psk
      ${o.gw ? '' : 'id = gw.esprit.test'}
    }
    children {
      net {
        ${o.gw ? 'local_ts' : 'remote_ts'} = 10.99.3.0/24
        esp_proposals = aes128gcm16
        ${o.childRekey || (!o.gw && o.clientChildRekey) ? 'rekey_time = 60s\n        rand_time = 0' : ''}
        ${o.childExtra ?? ''}
      }
    }
  }
}
pools {
  rw4 {
    addrs = 10.99.100.0/28
  }
}
secrets {
  ike-1 {
    id = gw.esprit.test
    secret = "a pre-shared key"
  }
}
`;

function up(
  seed: bigint,
  o: {
    ikeRekey?: boolean;
    childRekey?: boolean;
    clientChildRekey?: boolean;
    childExtra?: string;
    unique?: string;
    connExtra?: string;
  },
): IkePair {
  const p = new IkePair(configFromText(conf({ gw: false, ...o })), configFromText(conf({ gw: true, ...o })), { seed });
  p.initiate('home');
  p.flush();
  assert.equal(p.i.results.at(-1)?.ok, true, 'the tunnel is up');
  return p;
}

/** The inner payloads of a datagram, opened with the receiver's IKE SA. */
function inner(d: Datagram, receiver: IkeSa): IkePayload[] {
  const r = openMessage(receiver, d.bytes, decodeIkeMessage(d.bytes));
  if (!r.ok) throw new Error(`cannot open: ${r.reason}`);
  return r.payloads;
}

const nonceOf = (p: IkePayload[]): Uint8Array => {
  const n = p.find((x) => x.kind === 'No');
  if (n?.kind !== 'No') throw new Error('no nonce');
  return n.nonce;
};

const spiOf = (p: IkePayload[]): Uint8Array => {
  const s = p.find((x) => x.kind === 'SA');
  if (s?.kind !== 'SA' || !s.proposals[0]) throw new Error('no SA');
  return s.proposals[0].spi;
};

/** The test's own reading of §2.8.1: octets compared in order, a prefix is the lower. */
function lower(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] ?? 0) < (b[i] ?? 0);
  return a.length < b.length;
}
const minOf = (a: Uint8Array, b: Uint8Array): Uint8Array => (lower(b, a) ? b : a);

/**
 * Both sides' rekeys fire; the two requests cross: each is delivered, then both responses.
 * Returns what the wire showed: the SPIs each request offered and whether the initiator's
 * exchange (exchange 1) holds the lowest of the four nonces.
 */
function crossRekeys(p: IkePair, ms: number): { spi1: Uint8Array; spi2: Uint8Array; firstRedundant: boolean } {
  const [si] = p.i.engine.list();
  const [sr] = p.r.engine.list();
  assert.ok(si && sr);
  p.advance(ms);
  assert.equal(p.wire.length, 2, 'both peers sent a rekey request');
  const req1 = p.next();
  const req2 = p.next();
  assert.equal(req1.from, 'i');
  assert.equal(req2.from, 'r');
  const q1 = inner(req1, sr);
  const q2 = inner(req2, si);
  p.deliver(req1);
  p.deliver(req2);
  assert.equal(p.wire.length, 2, 'both requests answered');
  const resp1 = p.wire[0] as Datagram;
  const resp2 = p.wire[1] as Datagram;
  assert.equal(resp1.from, 'r');
  const a1 = inner(resp1, si);
  const a2 = inner(resp2, sr);
  const low1 = minOf(nonceOf(q1), nonceOf(a1));
  const low2 = minOf(nonceOf(q2), nonceOf(a2));
  p.flush();
  return { spi1: spiOf(q1), spi2: spiOf(q2), firstRedundant: lower(low1, low2) };
}

const u32 = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset, 4).getUint32(0);

test('simultaneous CHILD SA rekey (RFC 7296 §2.8.1): one new CHILD SA survives on both sides, the one the nonces choose', () => {
  const outcomes = new Set<boolean>();
  for (const seed of [1n, 2n, 3n, 4n, 5n, 6n]) {
    const p = up(seed, { childRekey: true });
    const orig = p.i.installed[0];
    assert.ok(orig);
    const { spi1, spi2, firstRedundant } = crossRekeys(p, 60_000);
    outcomes.add(firstRedundant);
    const ci = p.i.engine.list()[0]?.children ?? [];
    const cr = p.r.engine.list()[0]?.children ?? [];
    assert.equal(ci.length, 1, `seed ${seed}: one CHILD SA left on the initiator`);
    assert.equal(cr.length, 1, `seed ${seed}: one CHILD SA left on the responder`);
    const [i1, r1] = [ci[0], cr[0]];
    assert.ok(i1 && r1);
    assert.equal(i1.spiIn, r1.spiOut, 'the survivor is the same pair on both sides');
    assert.equal(i1.spiOut, r1.spiIn);
    // Exchange 1 (the initiator's request) offered the initiator's inbound SPI; exchange 2 the
    // responder's. The survivor is the other exchange's when one holds the lowest nonce.
    if (firstRedundant) assert.equal(r1.spiIn, u32(spi2), `seed ${seed}: exchange 2's CHILD SA survives`);
    else assert.equal(i1.spiIn, u32(spi1), `seed ${seed}: exchange 1's CHILD SA survives`);
    // Three CHILD SAs existed on each side; two were removed, the original among them.
    assert.equal(p.i.installed.length, 3);
    assert.equal(p.r.installed.length, 3);
    assert.equal(p.i.removed.length, 2);
    assert.equal(p.r.removed.length, 2);
    assert.ok(p.i.removed.some((x) => x.inbound.spi === orig.inbound.spi));
    assert.ok(p.r.removed.some((x) => x.outbound.spi === orig.inbound.spi));
    // A held-back outbound SA (the responder side of an exchange) is switched on only for the
    // survivor, never for the redundant CHILD SA.
    for (const s of [p.i, p.r]) {
      const alive: { spiOut: number } = s === p.i ? i1 : r1;
      for (const a of s.activated) assert.equal(a.spiOut, alive.spiOut, 'only the survivor was activated');
    }
    // Nothing is pending: both sides went quiet and no further rekey happens before 60 s.
    assert.equal(p.wire.length, 0);
  }
  assert.deepEqual([...outcomes].sort(), [false, true], 'the seeds produced both outcomes');
});

test('simultaneous IKE SA rekey (RFC 7296 §2.8.2): one new IKE SA survives with the CHILD SA and lease; the other two are deleted', () => {
  const outcomes = new Set<boolean>();
  for (const seed of [1n, 2n, 3n, 4n, 5n, 6n]) {
    const p = up(seed, { ikeRekey: true });
    const child = p.i.engine.list()[0]?.children[0];
    assert.ok(child);
    const { spi1, spi2, firstRedundant } = crossRekeys(p, 60_000);
    outcomes.add(firstRedundant);
    const li = p.i.engine.list();
    const lr = p.r.engine.list();
    assert.equal(li.length, 1, `seed ${seed}: one IKE SA left on the initiator`);
    assert.equal(lr.length, 1, `seed ${seed}: one IKE SA left on the responder`);
    const [si, sr] = [li[0], lr[0]];
    assert.ok(si && sr);
    assert.equal(si.spiI, sr.spiI);
    assert.equal(si.spiR, sr.spiR);
    const be = (b: Uint8Array): bigint => new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
    // §2.18: the rekey's initiator is the new SA's initiator; its SPI is the one it offered.
    if (firstRedundant) assert.equal(si.spiI, be(spi2), `seed ${seed}: exchange 2's IKE SA survives`);
    else assert.equal(si.spiI, be(spi1), `seed ${seed}: exchange 1's IKE SA survives`);
    assert.equal(si.children[0], child, 'the CHILD SA moved to the survivor');
    assert.equal(sr.children.length, 1);
    assert.deepEqual(
      sr.vipsRemote.map((v) => v.address),
      ['10.99.100.1'],
      'the lease moved to the survivor',
    );
    assert.equal(p.i.removed.length + p.r.removed.length, 0, 'no CHILD SA removed');
    assert.equal(p.i.vips.length, 1, 'the virtual IP stays');
    // The survivor works: a liveness check over it is answered.
    p.advance(0);
    assert.equal(p.wire.length, 0);
  }
  assert.deepEqual([...outcomes].sort(), [false, true], 'the seeds produced both outcomes');
});

test('§2.25.1: a rekey of a CHILD SA being deleted gets TEMPORARY_FAILURE (retried later); of an unknown one CHILD_SA_NOT_FOUND (deleted and made again)', () => {
  const p = up(11n, { childRekey: false });
  const [si] = p.i.engine.list();
  const [sr] = p.r.engine.list();
  assert.ok(si && sr);
  const ci = si.children[0];
  const cr = sr.children[0];
  assert.ok(ci && cr);
  // The responder is closing the CHILD SA (its Delete not yet sent): a rekey is refused for now.
  cr.deleting = true;
  ci.rekeyAt = p.clock.now();
  // biome-ignore lint/complexity/useLiteralKeys: a private schedule, poked for the test
  (p.i.engine as unknown as { rekeys: { add: (s: IkeSa, c: unknown) => void } })['rekeys'].add(si, ci);
  p.advance(0);
  p.flush();
  assert.equal(p.log('r', 'generating').at(-1), 'CREATE_CHILD_SA response 2 [ N(TEMP_FAIL) ]');
  assert.equal(p.i.installed.length, 1, 'no new CHILD SA');
  // Not retried at once (§2.25: "MUST NOT immediately retry"), but after 30 s.
  cr.deleting = false;
  p.advance(29_999);
  assert.equal(p.wire.length, 0);
  // Now the responder has lost the CHILD SA: the retry gets CHILD_SA_NOT_FOUND naming it.
  sr.children = [];
  p.advance(1);
  p.flush();
  const gen = p.log('i', 'generating');
  assert.ok(p.log('r', 'generating').includes('CREATE_CHILD_SA response 3 [ N(NO_CHILD_SA) ]'));
  // §2.25: "silently delete the Child SA ... and send a request to create a new Child SA from scratch"
  assert.deepEqual(gen.slice(-2), ['INFORMATIONAL request 4 [ D ]', 'CREATE_CHILD_SA request 5 [ SA No TSi TSr ]']);
  assert.equal(si.children.length, 1, 'a new CHILD SA');
  assert.notEqual(si.children[0], ci);
  assert.equal(sr.children.length, 1);
  assert.equal(si.children[0]?.spiIn, sr.children[0]?.spiOut);
});

test('lifetimes: rekey_bytes/rekey_packets less a random share are the soft limits, life_* the hard ones; a soft EXPIRE rekeys, a hard one deletes', () => {
  const extra =
    'rekey_bytes = 1000000\n        life_bytes = 1200000\n        rekey_packets = 5000\n        rekey_time = 1h';
  const p = up(21n, { childExtra: extra });
  const plan = p.i.installed[0];
  assert.ok(plan);
  const lt = plan.lifetime;
  // swanctl.conf(5): rand_bytes defaults to life_bytes - rekey_bytes; life_packets to 110 %.
  assert.ok(lt.softBytes <= 1_000_000 && lt.softBytes > 800_000, `soft bytes ${lt.softBytes}`);
  assert.equal(lt.hardBytes, 1_200_000);
  assert.ok(lt.softPackets <= 5000 && lt.softPackets > 4500, `soft packets ${lt.softPackets}`);
  assert.equal(lt.hardPackets, 5500);
  // rekey_time 1h, rand_time (life_time - rekey_time = 6 min) share taken off; hard = life_time.
  assert.ok(lt.softSeconds <= 3600 && lt.softSeconds >= 3240, `soft seconds ${lt.softSeconds}`);
  assert.equal(lt.hardSeconds, 3960);
  // ipsecd reports the soft limit reached on the outbound SA: the CHILD SA is rekeyed.
  p.i.engine.childExpired(plan.outbound.spi, false);
  p.run('i');
  assert.equal(p.log('i', 'generating').at(-1), 'CREATE_CHILD_SA request 2 [ N(REKEY_SA) SA No TSi TSr ]');
  // A second soft EXPIRE (the inbound SA's) while that rekey runs changes nothing.
  p.i.engine.childExpired(plan.inbound.spi, false);
  p.run('i');
  assert.equal(p.wire.length, 1);
  p.flush();
  const [si] = p.i.engine.list();
  assert.equal(si?.children.length, 1);
  const fresh = si?.children[0];
  assert.ok(fresh && fresh.spiIn !== plan.inbound.spi, 'replaced by a new CHILD SA');
  // The hard EXPIRE of the responder's copy: the CHILD SA is deleted at the peer too.
  p.r.engine.childExpired(fresh.spiOut, true);
  p.run('r');
  p.flush();
  assert.equal(p.log('r', 'generating').at(-1), 'INFORMATIONAL request 0 [ D ]');
  assert.equal(si?.children.length, 0);
  assert.equal(p.r.engine.list()[0]?.children.length, 0);
});

test('unique (swanctl.conf): a second IKE SA of the same client identity is kept (no), replaces the first (replace) or is refused (keep)', () => {
  // The same client identity logs in a second time from a second device (another engine
  // with the same config, the same public address); it has no other IKE SA with the gateway
  // and says so with INITIAL_CONTACT unless told otherwise.
  const second = (unique: string): IkePair & { result?: { ok: boolean; reason: string } } => {
    const p: IkePair & { result?: { ok: boolean; reason: string } } = up(31n, { unique });
    const e2 = new Ikev2Engine(configFromText(conf({ gw: false })), p.clock, new SeededRng(99n), new MemoryLogger());
    // A second device of a user who logs in twice: strongSwan's clients send INITIAL_CONTACT
    // only for their first IKE SA; pretend this one is not the first (a sibling exists).
    e2.hasSiblingIkeSa = () => true;
    e2.initiate('home', ADDR.initiator, ADDR.responder, undefined, 7);
    const from = { address: ADDR.initiator, port: 40000 };
    let spi = 0xd0000001;
    for (let round = 0; round < 10; round++) {
      const out = e2.takeActions();
      let sent = false;
      for (const a of out) {
        if (a.kind === 'get-spi') e2.spiAllocated(a.token, spi++);
        if (a.kind === 'initiate-result') p.result = { ok: a.ok, reason: a.reason };
        if (a.kind !== 'send') continue;
        sent = true;
        p.r.engine.receive(a.remote, from, a.bytes);
        p.run('r');
        for (const d of p.wire.splice(0)) {
          if (d.remote.port === 40000) e2.receive({ address: ADDR.initiator, port: a.local.port }, d.local, d.bytes);
          else p.wire.push(d);
        }
      }
      if (!sent && out.length === 0) break;
    }
    p.flush();
    return p;
  };
  const no = second('no');
  assert.equal(no.r.engine.list().length, 2, 'unique = no: both IKE SAs stay');
  assert.deepEqual(no.result, { ok: true, reason: 'established' });

  const replace = second('replace');
  const lr = replace.r.engine.list();
  assert.equal(lr.length, 1, 'unique = replace: the first IKE SA is gone');
  assert.deepEqual(replace.result, { ok: true, reason: 'established' });
  assert.equal(replace.r.removed.length, 1, "the first IKE SA's CHILD SA removed");
  assert.equal(replace.i.engine.list().length, 0, 'the first device got the Delete of its IKE SA');
  assert.notEqual(replace.i.installed[0]?.inbound.spi, undefined);

  const keep = second('keep');
  assert.equal(keep.r.engine.list().length, 1, 'unique = keep: the first IKE SA stays');
  assert.equal(keep.log('r', 'generating').at(-1), 'IKE_AUTH response 1 [ N(AUTH_FAILED) ]');
  assert.deepEqual(keep.result, { ok: false, reason: 'AUTHENTICATION_FAILED from 10.99.2.2' });
  assert.ok(keep.r.events.some((e) => e.kind === 'auth-failed' && /unique = keep/.test(e.detail)));
});

test('reauthentication (reauth_time, RFC 7296 §2.8.3) make-before-break: a new IKE SA with the same virtual IP and CHILD SA comes up before the old one is deleted', () => {
  const p = up(41n, { connExtra: 'reauth_time = 120s\n    rand_time = 0' });
  const [old] = p.i.engine.list();
  assert.ok(old);
  const oldChild = p.i.installed[0];
  assert.ok(oldChild);
  p.advance(119_999);
  assert.equal(p.wire.length, 0, 'not before reauth_time');
  p.advance(1);
  assert.match(p.log('i', 'generating').at(-1) ?? '', /^IKE_SA_INIT request 0 /);
  // The whole new IKE SA comes up while the old one still carries traffic: nothing removed yet.
  p.deliver(p.next()); // IKE_SA_INIT request
  p.deliver(p.next()); // response
  p.deliver(p.next()); // IKE_AUTH request
  const auth = p.log('i', 'generating').at(-1) ?? '';
  assert.match(
    auth,
    /^IKE_AUTH request 1 \[ IDi IDr AUTH CPRQ\(ADDR DNS\) SA TSi TSr N\(MOBIKE_SUP\) N\(NO_ADD_ADDR\) \]$/,
    'no INITIAL_CONTACT',
  );
  p.deliver(p.next()); // IKE_AUTH response: the new CHILD SA is installed on both sides
  assert.equal(p.i.installed.length, 2);
  assert.equal(p.r.installed.length, 2);
  assert.equal(p.i.removed.length + p.r.removed.length, 0, 'make before break');
  assert.equal(p.log('i', 'generating').at(-1), 'INFORMATIONAL request 2 [ D ]', 'then the old IKE SA is deleted');
  p.flush();
  const li = p.i.engine.list();
  const lr = p.r.engine.list();
  assert.equal(li.length, 1);
  assert.equal(lr.length, 1);
  assert.notEqual(li[0]?.spiI, old.spiI, 'a new IKE SA');
  assert.equal(li[0]?.spiI, lr[0]?.spiI);
  assert.deepEqual(
    p.i.removed.map((x) => x.inbound.spi),
    [oldChild.inbound.spi],
    'the old CHILD SA went with it',
  );
  assert.equal(p.r.removed.length, 1);
  // The virtual IP: asked for again, the same one, never taken off the TUN; the lease online.
  assert.deepEqual(
    lr[0]?.vipsRemote.map((v) => v.address),
    ['10.99.100.1'],
  );
  // (the pair's vip-remove would have dropped every copy of the address; vip-add is idempotent)
  assert.deepEqual([...new Set(p.i.vips.map(formatIp))], ['10.99.100.1'], 'no vip-remove for the address kept');
  assert.equal(p.r.engine.pools.get('rw4')?.online, 1, 'the lease is still online');
  // And again reauth_time later, from the new IKE SA.
  p.advance(120_000);
  p.flush();
  assert.equal(p.i.engine.list().length, 1);
  assert.notEqual(p.i.engine.list()[0]?.spiI, li[0]?.spiI);
  assert.equal(p.r.engine.pools.get('rw4')?.online, 1);
});

test('a CHILD SA rekey whose CREATE_CHILD_SA request is lost: retransmitted after 4 s with the same bytes, then completed; a lost response is answered from the cache', () => {
  const p = up(51n, { clientChildRekey: true });
  const orig = p.i.installed[0];
  assert.ok(orig);
  p.advance(60_000);
  const lost = p.next();
  assert.equal(lost.from, 'i');
  assert.equal(p.wire.length, 0, 'the request is lost');
  p.advance(3_999);
  assert.equal(p.wire.length, 0, 'not before the 4 s retransmission timeout');
  p.advance(1);
  const again = p.next();
  assert.deepEqual(Buffer.from(again.bytes), Buffer.from(lost.bytes), 'retransmitted unchanged');
  p.deliver(again);
  // The response is lost too: the next retransmission is answered from the responder's cache.
  const resp = p.next();
  assert.equal(resp.from, 'r');
  assert.equal(p.r.installed.length, 2, 'the responder made the new CHILD SA once');
  p.advance(7_200);
  const third = p.next();
  assert.deepEqual(Buffer.from(third.bytes), Buffer.from(lost.bytes));
  p.deliver(third);
  const cached = p.next();
  assert.deepEqual(Buffer.from(cached.bytes), Buffer.from(resp.bytes), 'the cached response, byte for byte');
  assert.equal(p.r.installed.length, 2, 'and not a second new CHILD SA');
  p.deliver(cached);
  p.flush();
  const [si] = p.i.engine.list();
  assert.equal(si?.children.length, 1);
  assert.notEqual(si?.children[0]?.spiIn, orig.inbound.spi, 'rekeyed');
  assert.deepEqual(
    p.i.removed.map((x) => x.inbound.spi),
    [orig.inbound.spi],
  );
});

test('a hard EXPIRE of a CHILD SA our rekey is replacing waits for the rekey: no Delete first, the peer never answers CHILD_SA_NOT_FOUND', () => {
  const p = up(61n, { clientChildRekey: true });
  const orig = p.i.installed[0];
  assert.ok(orig);
  p.advance(60_000);
  assert.equal(p.log('i', 'generating').at(-1), 'CREATE_CHILD_SA request 2 [ N(REKEY_SA) SA No TSi TSr ]');
  // ipsecd's hard limit is reached while the request is in flight
  p.i.engine.childExpired(orig.inbound.spi, true);
  p.run('i');
  assert.equal(p.wire.length, 1, 'no Delete queued ahead of the rekey');
  p.flush();
  assert.ok(!p.log('r', 'generating').some((l) => l.includes('NO_CHILD_SA')));
  const [si] = p.i.engine.list();
  assert.equal(si?.children.length, 1);
  assert.notEqual(si?.children[0]?.spiIn, orig.inbound.spi, 'replaced');
  assert.deepEqual(
    p.i.removed.map((x) => x.inbound.spi),
    [orig.inbound.spi],
    'and then deleted',
  );
});

test('a CHILD SA rekey that falls due while the IKE SA is being rekeyed waits for it and goes out on the new IKE SA (the soak lost a tunnel this way)', () => {
  // The client rekeys its IKE SA at 59 s and its CHILD SA at 60 s: the CHILD SA rekey waits
  // behind the IKE SA rekey (window size 1), and the CHILD SA moves to the new IKE SA meanwhile.
  const p = up(71n, { clientChildRekey: true, connExtra: 'rekey_time = 59s\n    rand_time = 0' });
  const orig = p.i.installed[0];
  assert.ok(orig);
  p.advance(59_000);
  assert.equal(p.log('i', 'generating').at(-1), 'CREATE_CHILD_SA request 2 [ SA No KE ]');
  p.advance(1_000);
  assert.equal(p.wire.length, 1, 'the CHILD SA rekey does not start while the IKE SA is rekeyed');
  p.flush();
  // it is tried again a second later, on the new IKE SA
  p.advance(1_000);
  p.flush();
  const li = p.i.engine.list();
  assert.equal(li.length, 1, 'one IKE SA: the new one');
  const [si] = li;
  assert.equal(si?.children.length, 1);
  assert.notEqual(si?.children[0]?.spiIn, orig.inbound.spi, 'the CHILD SA was rekeyed, on the new IKE SA');
  assert.equal(p.r.engine.list()[0]?.children.length, 1);
  assert.equal(si?.children[0]?.spiIn, p.r.engine.list()[0]?.children[0]?.spiOut);
  // and it keeps being rekeyed (the IKE SA falls due again first, the CHILD SA a second later)
  p.advance(60_000);
  p.flush();
  p.advance(1_000);
  p.flush();
  assert.notEqual(p.i.engine.list()[0]?.children[0]?.spiIn, si?.children[0]?.spiIn, 'rekeyed again');
});

test('an IKE SA rekey queued behind a CHILD SA rekey: the old CHILD SA is deleted on both sides although it moved to the new IKE SA', () => {
  // Both fall due at 60 s: the CHILD SA rekey goes first, the IKE SA rekey waits for the window,
  // and the Delete of the old CHILD SA waits behind the IKE SA rekey.
  const p = up(81n, { clientChildRekey: true, connExtra: 'rekey_time = 60s\n    rand_time = 0' });
  const orig = p.i.installed[0];
  assert.ok(orig);
  p.advance(60_000);
  p.flush();
  p.advance(0);
  p.flush();
  const [si] = p.i.engine.list();
  const [sr] = p.r.engine.list();
  assert.equal(p.i.engine.list().length, 1);
  assert.deepEqual(
    si?.children.map((c) => c.spiIn),
    sr?.children.map((c) => c.spiOut),
    'the same CHILD SAs on both sides',
  );
  assert.equal(si?.children.length, 1, 'only the new CHILD SA is left');
  assert.notEqual(si?.children[0]?.spiIn, orig.inbound.spi);
  assert.ok(
    p.i.removed.some((x) => x.inbound.spi === orig.inbound.spi),
    'the old one removed on the client',
  );
  assert.ok(
    p.r.removed.some((x) => x.outbound.spi === orig.inbound.spi),
    'and on the gateway',
  );
});
