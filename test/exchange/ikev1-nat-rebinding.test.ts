/**
 * IKEv1 NAT rebinding (RFC 3947 §4, src/ikev1/nat-rebinding.ts): the NAT in front of the
 * initiator maps it to a new public port; the gateway (not behind the NAT) follows the first
 * authenticated message from there, moving the ISAKMP SA and the ESP endpoints of its CHILD
 * SAs (update-child); a message from the new port that does not authenticate moves nothing,
 * and the client (behind the NAT) never moves. Two in-process engines, a FakeClock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Ikev1Sa } from '../../src/ikev1/ikev1-sa.js';
import { v1Conf } from './ikev1-configs.js';
import { ep, Ikev1Pair } from './ikev1-pair.js';

const conf = (side: 'i' | 'r') => v1Conf(side, { name: 'nr', ike: 'dpd_delay = 30s', esp: 'aes128-sha1' });

const only = (p: Ikev1Pair, s: 'i' | 'r'): Ikev1Sa => {
  const l = p.peer(s).engine.list();
  assert.equal(l.length, 1);
  return l[0] as Ikev1Sa;
};

function up(): Ikev1Pair {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  p.initiate('nr');
  p.flush();
  assert.equal(p.r.installed.length, 1);
  return p;
}

test("an authenticated Informational from a new NAT port moves the gateway's ISAKMP SA and CHILD SA there", () => {
  const p = up();
  const gw = only(p, 'r');
  const before = ep(gw.remote);
  assert.equal(before, '10.99.2.1:30001', "the NAT mapping of the client's 4500");
  // the NAT forgets the mapping: the client's 4500 now leaves from 40000
  p.nat?.set(4500, 40000);
  // DPD (RFC 3706) after 30 s of silence: HDR*, HASH(1), N(R-U-THERE) --> from the new port
  p.advance(30_000);
  const fromClient = p.wire.filter((d) => d.from === 'i');
  const fromGw = p.wire.filter((d) => d.from === 'r');
  p.wire.length = 0;
  assert.equal(fromClient.length, 1);
  for (const d of fromGw) p.deliver(d);
  for (const d of fromClient) p.deliver(d);
  assert.equal(ep(gw.remote), '10.99.2.1:40000', 'the gateway follows the client');
  assert.equal(p.r.updated.length, 1, 'one update-child for the CHILD SA');
  const plan = p.r.updated[0];
  assert.equal(plan?.encap?.remotePort, 40000);
  assert.equal(plan?.encap?.localPort, 4500);
  assert.ok(
    p.r.events.some(
      (e) => e.kind === 'mapping-changed' && e.from.port === 30001 && e.to.port === 40000 && e.cause === 'ike',
    ),
  );
  // the ACK goes to the new port and reaches the client through the new mapping
  p.flush();
  assert.equal(only(p, 'i').dpd?.pending, undefined, 'the client got its R-U-THERE-ACK');
  assert.equal(ep(only(p, 'i').remote), '10.99.2.2:4500', 'the client (behind the NAT) does not move');
  assert.equal(p.i.updated.length, 0);
  // the next Quick Mode (a rekey) installs its SAs on the new port
  const child = p.i.installed[0];
  assert.ok(child);
  p.i.engine.childExpired(child.inbound.spi, false);
  p.run('i');
  p.flush();
  const fresh = p.r.installed.at(-1);
  assert.equal(fresh?.encap?.remotePort, 40000);
});

test('a message from a new port that does not authenticate moves nothing', () => {
  const p = up();
  const gw = only(p, 'r');
  const before = ep(gw.remote);
  // a copy of an old Informational with one octet of its ciphertext flipped, from another port
  p.nat?.set(4500, 40001);
  p.advance(30_000);
  const d = p.wire.find((x) => x.from === 'i');
  assert.ok(d);
  p.wire.length = 0;
  const bad = d.bytes.slice();
  bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
  p.deliver({ ...d, bytes: bad });
  assert.equal(ep(gw.remote), before);
  assert.equal(p.r.updated.length, 0);
  assert.ok((p.r.engine.drops.get('undecryptable') ?? 0) >= 1);
});
