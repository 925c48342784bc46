import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../util/clock.js';
import { parseIp, parsePrefix } from '../util/ip-addr.js';
import { AcquireTable } from './acquire.js';
import type { SaConfig } from './sa-config.js';
import { Sad } from './sad.js';
import type { PacketTuple } from './selector.js';
import { type PolicySpec, Spd } from './spd.js';

const GW = parseIp('192.0.2.1');
const PEER = parseIp('198.51.100.1');

const tunnelPolicy: PolicySpec = {
  selector: { src: parsePrefix('10.0.0.0/24'), dst: parsePrefix('10.9.0.0/16'), proto: 255, sport: 0, dport: 0 },
  dir: 'out',
  action: 'ipsec',
  requests: [{ proto: 'esp', mode: 'tunnel', tunnel: { src: GW, dst: PEER }, level: 'require', reqid: 0 }],
  priority: 0,
};

const transportPolicy: PolicySpec = {
  selector: { src: parsePrefix('192.0.2.1/32'), dst: parsePrefix('203.0.113.0/24'), proto: 255, sport: 0, dport: 0 },
  dir: 'out',
  action: 'ipsec',
  requests: [{ proto: 'esp', mode: 'transport', level: 'unique', reqid: 77 }],
  priority: 0,
};

const tuple = (src: string, dst: string): PacketTuple => ({
  src: parseIp(src).bytes,
  dst: parseIp(dst).bytes,
  proto: 17,
  sport: 1000,
  dport: 53,
});

const pkt = (n: number) => Uint8Array.of(0x45, n);

function cfg(spi: number, src = GW, dst = PEER, mode: 'tunnel' | 'transport' = 'tunnel'): SaConfig {
  return {
    spi,
    src,
    dst,
    mode,
    encryption: { algorithm: 'aes-gcm-16', key: new Uint8Array(20) },
    integrity: { algorithm: 'none', key: new Uint8Array(0) },
    encapsulation: { type: 'none', sport: 0, dport: 0 },
    esn: false,
    replayWindow: 32,
    seq: 1n,
  };
}

test('first packet sends ACQUIRE; within the rate limit only holds; after it resends with the same seq', () => {
  const pol = new Spd().add(tunnelPolicy);
  const acq = new AcquireTable({ rateLimitMs: 1000 });
  const t = tuple('10.0.0.5', '10.9.1.1');
  const a = acq.onNoSa(pol, t, pkt(1), 0);
  assert.ok(a.acquire);
  assert.equal(a.held, true);
  assert.equal(a.acquire.resend, false);
  assert.equal(a.acquire.seq, 1);
  assert.deepEqual([a.acquire.src.text, a.acquire.dst.text, a.acquire.mode], ['192.0.2.1', '198.51.100.1', 'tunnel']);
  assert.deepEqual([a.acquire.trigger.src.text, a.acquire.trigger.dport], ['10.0.0.5', 53]);
  // another host behind the same tunnel policy shares the acquire (same SA endpoints)
  const b = acq.onNoSa(pol, tuple('10.0.0.6', '10.9.2.2'), pkt(2), 999);
  assert.deepEqual(b, { acquire: undefined, held: true });
  const c = acq.onNoSa(pol, t, pkt(3), 1000);
  assert.equal(c.acquire?.resend, true);
  assert.equal(c.acquire?.seq, 1);
  assert.equal(acq.size, 1);
  assert.equal(acq.stats.acquiresSent, 2);
  assert.equal(acq.stats.held, 3);
});

test('transport mode: one acquire per destination; ACQUIRE carries the reqid', () => {
  const pol = new Spd().add(transportPolicy);
  const acq = new AcquireTable();
  const a = acq.onNoSa(pol, tuple('192.0.2.1', '203.0.113.5'), pkt(1), 0);
  const b = acq.onNoSa(pol, tuple('192.0.2.1', '203.0.113.6'), pkt(2), 0);
  assert.equal(a.acquire?.reqid, 77);
  assert.equal(a.acquire?.dst.text, '203.0.113.5');
  assert.equal(b.acquire?.dst.text, '203.0.113.6');
  assert.notEqual(a.acquire?.seq, b.acquire?.seq);
  assert.equal(acq.size, 2);
});

test('the hold queue keeps the newest queueLimit packets (copies), counting drops', () => {
  const pol = new Spd().add(tunnelPolicy);
  const acq = new AcquireTable({ queueLimit: 3 });
  const t = tuple('10.0.0.5', '10.9.1.1');
  const first = pkt(1);
  for (let i = 1; i <= 5; i++) acq.onNoSa(pol, t, i === 1 ? first : pkt(i), i);
  first[1] = 0xee; // the table holds a copy
  assert.equal(acq.stats.droppedOverflow, 2);
  assert.equal(acq.stats.held, 3);
  const sad = new Sad({ clock: new FakeClock(10) });
  const sa = sad.add({ cfg: cfg(0x1000) });
  const out = acq.onSaAdded(sa);
  assert.deepEqual(
    out.map((h) => [h.packet[1], h.heldMs, h.policyId]),
    [
      [3, 3, pol.id],
      [4, 4, pol.id],
      [5, 5, pol.id],
    ],
  );
  assert.equal(acq.size, 0);
  assert.equal(acq.stats.released, 3);
  assert.equal(acq.stats.held, 0);
});

test('an SA with other endpoints, reqid or mode releases nothing; larval SAs never do', () => {
  const spd = new Spd();
  const pol = spd.add(transportPolicy);
  const acq = new AcquireTable();
  acq.onNoSa(pol, tuple('192.0.2.1', '203.0.113.5'), pkt(1), 0);
  const sad = new Sad({ clock: new FakeClock(0) });
  const dst = parseIp('203.0.113.5');
  assert.deepEqual(
    acq.onSaAdded(sad.add({ cfg: cfg(0x1000, GW, parseIp('203.0.113.6'), 'transport'), reqid: 77 })),
    [],
  );
  assert.deepEqual(acq.onSaAdded(sad.add({ cfg: cfg(0x1001, GW, dst, 'transport'), reqid: 78 })), []);
  assert.deepEqual(acq.onSaAdded(sad.add({ cfg: cfg(0x1002, GW, dst, 'tunnel'), reqid: 77 })), []);
  const larval = sad.getspi(
    { src: GW, dst, reqid: 77, mode: 'transport', owner: 1, seq: 0 },
    { fill: (b: Uint8Array) => b.fill(1) },
  );
  assert.deepEqual(acq.onSaAdded(larval), []);
  assert.equal(acq.onSaAdded(sad.add({ cfg: cfg(0x1003, GW, dst, 'transport'), reqid: 77 })).length, 1);
});

test('unanswered acquires expire after expireMs with their packets; nextDeadline', () => {
  const pol = new Spd().add(tunnelPolicy);
  const acq = new AcquireTable({ expireMs: 30_000 });
  assert.equal(acq.nextDeadline(), undefined);
  acq.onNoSa(pol, tuple('10.0.0.5', '10.9.1.1'), pkt(1), 100);
  acq.onNoSa(pol, tuple('10.0.0.5', '10.9.1.1'), pkt(2), 200);
  assert.equal(acq.nextDeadline(), 30_100);
  assert.deepEqual(acq.tick(30_099), []);
  assert.deepEqual(acq.tick(30_100), [{ kind: 'acquire-expired', seq: 1, policyId: pol.id, dropped: 2 }]);
  assert.equal(acq.stats.droppedTimeout, 2);
  assert.equal(acq.size, 0);
  // the next packet starts a fresh acquire with a new seq
  assert.equal(acq.onNoSa(pol, tuple('10.0.0.5', '10.9.1.1'), pkt(3), 30_200).acquire?.seq, 2);
});

test('fail(seq) drops the acquire; maxAcquires bounds the table; no packet means no hold', () => {
  const pol = new Spd().add(transportPolicy);
  const acq = new AcquireTable({ maxAcquires: 2 });
  const a = acq.onNoSa(pol, tuple('192.0.2.1', '203.0.113.1'), pkt(1), 0);
  acq.onNoSa(pol, tuple('192.0.2.1', '203.0.113.2'), undefined, 0);
  assert.deepEqual(acq.onNoSa(pol, tuple('192.0.2.1', '203.0.113.3'), pkt(3), 0), {
    acquire: undefined,
    held: false,
  });
  assert.equal(acq.stats.droppedLimit, 1);
  assert.equal(acq.stats.held, 1);
  assert.equal(acq.fail(a.acquire?.seq ?? 0), 1);
  assert.equal(acq.fail(12345), 0);
  assert.equal(acq.stats.droppedFailed, 1);
  assert.equal(acq.size, 1);
  const discard = new Spd().add({ ...tunnelPolicy, action: 'discard', requests: [] });
  assert.deepEqual(acq.onNoSa(discard, tuple('10.0.0.5', '10.9.1.1'), pkt(9), 0), { acquire: undefined, held: false });
});
