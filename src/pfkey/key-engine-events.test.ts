/**
 * Engine-originated messages: EXPIRE (soft/hard by addtime, usetime, bytes, allocations,
 * larval timeout, ESP-engine events), ACQUIRE (rate limit, held packets released through
 * onChange, failure answer), X_NAT_T_NEW_MAPPING (two peers behind one NAT). Expected bytes
 * from test-buffers.ts; time from FakeClock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../util/clock.js';
import { parseIp } from '../util/ip-addr.js';
import { SeededRng } from '../util/rng.js';
import { encodePfkeyMessage } from '../wire/pfkey/index.js';
import { type Delivery, KeyEngine, type SadChange } from './key-engine.js';
import {
  address,
  hex,
  ipsecrequest,
  key,
  lifetime,
  msg,
  natPort,
  natType,
  policy,
  sa,
  sa2,
  toHex,
} from './test-buffers.js';

const T0 = 1_700_000_000_000;
const T0S = 1_700_000_000n;
const GW = '192.0.2.1';
const NAT = '198.51.100.7';
const GCM_KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f' + 'cafebabe';

function setup(opts: { larvalTimeoutMs?: number } = {}) {
  const clock = new FakeClock(T0);
  const changes: SadChange[] = [];
  const engine = new KeyEngine({
    clock,
    rng: new SeededRng(5n),
    onChange: (c) => changes.push(c),
    acquire: { rateLimitMs: 1000, expireMs: 30_000, queueLimit: 2 },
    ...opts,
  });
  const km = engine.connect('linux', 100);
  engine.receive(km, msg({ type: 7, satype: 3, seq: 1, pid: 100 })); // REGISTER ESP
  const quiet = engine.connect('linux', 200); // not registered: never gets EXPIRE/ACQUIRE
  return { clock, engine, changes, km, quiet };
}

const bytesOf = (engine: KeyEngine, d: Delivery) => toHex(encodePfkeyMessage(d.message, engine.dialectOf(d.to)));

function addSa(
  engine: KeyEngine,
  c: number,
  spi: number,
  src: string,
  dst: string,
  ...extra: Uint8Array[]
): Delivery[] {
  return engine.receive(
    c,
    msg(
      { type: 3, satype: 3, seq: spi & 0xff, pid: 100 },
      sa(spi, 0, 1, 0, 20),
      address('linux', 5, src),
      address('linux', 6, dst),
      key(9, GCM_KEY),
      sa2(2, 1),
      ...extra,
    ),
  );
}

test('soft then hard EXPIRE by addtime: to registered sockets only, seq 0 pid 0, no keys; hard removes the SA', () => {
  const { clock, engine, changes, km } = setup();
  addSa(engine, km, 0x1000, NAT, GW, lifetime(3, 0, 0n, 60n, 0n), lifetime(4, 0, 0n, 50n, 0n));
  assert.equal(engine.nextDeadline(), T0 + 50_000);
  clock.advance(49_999);
  assert.deepEqual(engine.tick(), []);
  clock.advance(1);
  const soft = engine.tick();
  // Linux key_notify_sa_expire (hsc 1): SA (dying) | SOFT | CURRENT | SRC | DST | SA2
  const expSoft = msg(
    { type: 8, satype: 3, seq: 0, pid: 0 },
    sa(0x1000, 0, 2, 0, 20),
    lifetime(4, 0, 0n, 50n, 0n),
    lifetime(2, 0, 0n, T0S, 0n),
    address('linux', 5, NAT),
    address('linux', 6, GW),
    sa2(2, 1),
  );
  assert.deepEqual(
    soft.map((d) => [d.to, bytesOf(engine, d)]),
    [[km, toHex(expSoft)]],
  );
  assert.equal(engine.sad.dump()[0]?.state, 'dying');
  // announced, so copies of the SAD (a sealing thread's SadReplica) see the SA dying
  const last = changes.at(-1);
  assert.equal(last?.kind, 'sa-updated');
  assert.equal(last?.kind === 'sa-updated' ? last.entry.state : undefined, 'dying');
  clock.advance(10_000);
  const hard = engine.tick();
  const expHard = msg(
    { type: 8, satype: 3, seq: 0, pid: 0 },
    sa(0x1000, 0, 3, 0, 20),
    lifetime(3, 0, 0n, 60n, 0n),
    lifetime(2, 0, 0n, T0S, 0n),
    address('linux', 5, NAT),
    address('linux', 6, GW),
    sa2(2, 1),
  );
  assert.deepEqual(
    hard.map((d) => [d.to, bytesOf(engine, d)]),
    [[km, toHex(expHard)]],
  );
  assert.equal(engine.sad.size, 0);
  assert.equal(changes.at(-1)?.kind, 'sa-removed');
  assert.equal(engine.stats['expire.soft'], 1);
  assert.equal(engine.stats['expire.hard'], 1);
});

test('EXPIRE by bytes and allocations through onSaUsed; usetime starts at the first use', () => {
  const { clock, engine, km, changes } = setup();
  addSa(engine, km, 0x2000, NAT, GW, lifetime(3, 10, 3000n, 0n, 0n), lifetime(4, 0, 1000n, 0n, 0n));
  const e = engine.sad.dump()[0];
  assert.ok(e);
  assert.deepEqual(engine.onSaUsed(e, 999, 1), []);
  const soft = engine.onSaUsed(e, 1, 1);
  assert.equal(soft.length, 1);
  assert.equal(soft[0]?.message.header.type, 8);
  assert.ok(soft[0]?.message.extensions.some((x) => x.ext === 'LIFETIME_SOFT'));
  assert.deepEqual(
    changes.slice(-2).map((c) => c.kind),
    ['sa-added', 'sa-updated'],
    'the soft expiry is announced once',
  );
  const hard = engine.onSaUsed(e, 1, 8); // 10 packets = hard allocations
  assert.equal(hard.length, 1);
  assert.ok(hard[0]?.message.extensions.some((x) => x.ext === 'LIFETIME_HARD'));
  assert.equal(engine.sad.size, 0);

  // usetime: no deadline before the first packet
  addSa(engine, km, 0x2001, NAT, GW, lifetime(3, 0, 0n, 0n, 20n), lifetime(4, 0, 0n, 0n, 10n));
  assert.equal(engine.nextDeadline(), undefined);
  clock.advance(5000);
  const u = engine.sad.dump()[0];
  assert.ok(u);
  engine.onSaUsed(u, 100, 1);
  assert.equal(engine.nextDeadline(), T0 + 5000 + 10_000);
});

test('onLifetimeEvent: the ESP engine reached a limit itself -> EXPIRE soft once, then hard', () => {
  const { engine, km } = setup();
  addSa(engine, km, 0x2100, NAT, GW);
  const e = engine.sad.dump()[0];
  assert.ok(e);
  assert.equal(engine.onLifetimeEvent(e, 'soft').length, 1);
  assert.deepEqual(engine.onLifetimeEvent(e, 'soft'), []);
  const hard = engine.onLifetimeEvent(e, 'hard');
  assert.equal(hard[0]?.message.header.type, 8);
  assert.equal(engine.sad.size, 0);
});

test('larval timeout: a hard EXPIRE for the larval SA (state LARVAL), then it is gone', () => {
  const { clock, engine, km, changes } = setup({ larvalTimeoutMs: 30_000 });
  engine.receive(km, msg({ type: 1, satype: 3, seq: 2, pid: 100 }, address('linux', 5, NAT), address('linux', 6, GW)));
  clock.advance(30_000);
  const out = engine.tick();
  assert.equal(out.length, 1);
  const s = out[0]?.message.extensions[0];
  assert.ok(s?.ext === 'SA' && s.state === 3);
  assert.equal(engine.sad.size, 0);
  assert.equal(changes.filter((c) => c.kind === 'sa-removed').length, 0, 'never announced, so never removed');
});

test('ACQUIRE: first packet sends it (seq, pid 0, SRC/DST/X_POLICY/PROPOSAL), rate limit, held packets released on ADD', () => {
  const { clock, engine, changes, km, quiet } = setup();
  // SPDADD out 10.1.0.0/16 -> 10.2.0.0/16 any, esp/tunnel/GW-NAT/require
  const spd = engine.receive(
    km,
    msg(
      { type: 14, satype: 0, seq: 3, pid: 100 },
      address('linux', 5, '10.1.0.0', 255, 16),
      address('linux', 6, '10.2.0.0', 255, 16),
      policy(2, 2, 0, 0, ipsecrequest('linux', 50, 2, 2, 0, [GW, NAT])),
    ),
  );
  assert.equal(spd.length, 2);
  const pol = engine.spd.dump()[0];
  assert.ok(pol);
  const tuple = { src: hex('0a010005'), dst: hex('0a020009'), proto: 6, sport: 1234, dport: 80 };
  const p1 = hex('4500001c');
  const r1 = engine.onOutboundNoSa(pol, tuple, p1);
  assert.equal(r1.held, true);
  assert.deepEqual(
    r1.deliveries.map((d) => d.to),
    [km],
    'to registered sockets only',
  );
  const acq = r1.deliveries[0]?.message;
  assert.ok(acq);
  assert.equal(acq.header.seq, 1);
  assert.equal(acq.header.pid, 0);
  assert.deepEqual(
    acq.extensions.map((x) => x.ext),
    ['ADDRESS_SRC', 'ADDRESS_DST', 'X_POLICY', 'PROPOSAL'],
  );
  // SRC = GW, DST = NAT (the tunnel endpoints), X_POLICY (IPSEC, OUTBOUND, the policy's id); PROPOSAL follows
  const bytes = encodePfkeyMessage(acq, 'linux');
  const head = msg(
    { type: 6, satype: 3, seq: 1, pid: 0 },
    address('linux', 5, GW),
    address('linux', 6, NAT),
    policy(2, 2, pol.id, 0),
  );
  assert.equal(toHex(bytes.subarray(0, 4)), toHex(head.subarray(0, 4)), 'version, type, errno, satype');
  assert.equal(
    toHex(bytes.subarray(6, head.length)),
    toHex(head.subarray(6)),
    'seq, pid and the extensions before PROPOSAL',
  );
  const prop = acq.extensions[3];
  assert.ok(prop?.ext === 'PROPOSAL' && prop.replay === 32);
  assert.deepEqual(
    prop.combs.slice(0, 2).map((c) => [c.encrypt, c.auth, c.encryptMinbits, c.encryptMaxbits, c.hardAddtime]),
    [
      [20, 0, 160, 288, 86400n],
      [28, 0, 288, 288, 86400n],
    ],
  );
  // within the rate limit: held, no ACQUIRE; queueLimit 2 drops the oldest
  clock.advance(500);
  assert.deepEqual(engine.onOutboundNoSa(pol, tuple, hex('4500001d')).deliveries, []);
  const r3 = engine.onOutboundNoSa(pol, tuple, hex('4500001e'));
  assert.equal(r3.held, true);
  clock.advance(500);
  const again = engine.onOutboundNoSa(pol, tuple, hex('4500001f'));
  assert.equal(again.deliveries[0]?.message.header.seq, 1, 'a repeat ACQUIRE keeps its seq');
  assert.ok(again.deliveries.every((d) => d.to !== quiet));
  // the key manager installs the SA: held packets come back through onChange
  addSa(engine, km, 0x3000, GW, NAT);
  const add = changes.find((c) => c.kind === 'sa-added');
  assert.ok(add && add.kind === 'sa-added');
  assert.deepEqual(add.released.map(toHex), ['4500001e', '4500001f']);
});

test('ACQUIRE answered with an errno (negotiation failed) drops the acquire and its packets', () => {
  const { engine, km } = setup();
  engine.receive(
    km,
    msg(
      { type: 14, satype: 0, seq: 3, pid: 100 },
      address('linux', 5, '10.1.0.0', 255, 16),
      address('linux', 6, '10.2.0.0', 255, 16),
      policy(2, 2, 0, 0, ipsecrequest('linux', 50, 2, 2, 0, [GW, NAT])),
    ),
  );
  const pol = engine.spd.dump()[0];
  assert.ok(pol);
  const tuple = { src: hex('0a010005'), dst: hex('0a020009'), proto: 17, sport: 1, dport: 2 };
  const seq = engine.onOutboundNoSa(pol, tuple, hex('45000020')).deliveries[0]?.message.header.seq ?? 0;
  // the key manager's answer: ACQUIRE header only, the ACQUIRE's seq, any non-zero errno
  const out = engine.receive(km, msg({ type: 6, satype: 3, seq, pid: 100, errno: 22 }));
  assert.deepEqual(out, [], 'Linux pfkey_acquire sends no reply');
  assert.equal(engine.stats['acquire.failed'], 1);
  // a new packet starts a new acquire with a new seq
  const next = engine.onOutboundNoSa(pol, tuple, hex('45000021'));
  assert.equal(next.deliveries[0]?.message.header.seq, seq + 1);
});

/**
 * Two peers behind one NAT (198.51.100.7:61000 and :61001) each have an inbound and an
 * outbound SA with us. Peer A's mapping moves to :62000: only A's SAs move; one
 * X_NAT_T_NEW_MAPPING goes to the registered sockets in Linux pfkey_send_new_mapping layout.
 */
test('NEW_MAPPING: two peers behind one NAT, only the rebound peer moves', () => {
  const { engine, changes, km } = setup();
  const udp = (s: number, d: number) => [natType(2), natPort(21, s), natPort(22, d)];
  addSa(engine, km, 0xa1, NAT, GW, ...udp(61000, 4500)); // A inbound (SPI 0xa1 < 256 would be refused)
  assert.equal(engine.sad.size, 0, 'SPI 0xa1 is reserved (RFC 4303 §2.1)');
  addSa(engine, km, 0xa001, NAT, GW, ...udp(61000, 4500)); // A in
  addSa(engine, km, 0xa002, GW, NAT, ...udp(4500, 61000)); // A out
  addSa(engine, km, 0xb001, NAT, GW, ...udp(61001, 4500)); // B in
  addSa(engine, km, 0xb002, GW, NAT, ...udp(4500, 61001)); // B out
  const aIn = engine.sad.lookupInbound(hex('c0000201'), 0xa001);
  assert.ok(aIn);
  changes.length = 0;
  const out = engine.onNatMapping(aIn, { addr: parseIp(NAT), port: 62000 });
  const expected = msg(
    { type: 23, satype: 3, seq: 1, pid: 0 },
    sa(0xa001, 0, 0, 0, 0),
    address('linux', 5, NAT),
    natPort(21, 61000),
    address('linux', 6, NAT),
    natPort(22, 62000),
    sa2(2, 1),
  );
  assert.deepEqual(
    out.map((d) => [d.to, bytesOf(engine, d)]),
    [[km, toHex(expected)]],
  );
  const enc = (spi: number) => engine.sad.dump().find((e) => e.spi === spi)?.encap;
  assert.deepEqual(enc(0xa001), { type: 'rfc3948', sport: 62000, dport: 4500 });
  assert.deepEqual(enc(0xa002), { type: 'rfc3948', sport: 4500, dport: 62000 });
  assert.deepEqual(enc(0xb001), { type: 'rfc3948', sport: 61001, dport: 4500 });
  assert.deepEqual(enc(0xb002), { type: 'rfc3948', sport: 4500, dport: 61001 });
  assert.deepEqual(
    changes.map((c) => (c.kind === 'sa-updated' ? c.entry.spi : c.kind)),
    [0xa001, 0xa002],
  );
  assert.deepEqual(engine.onNatMapping(aIn, { addr: parseIp(NAT), port: 62000 }), [], 'no change, no message');
  // a refused move (port 0) is counted, not thrown
  assert.deepEqual(engine.onNatMapping(aIn, { addr: parseIp(NAT), port: 0 }), []);
  assert.equal(engine.stats['new-mapping.refused'], 1);
});
