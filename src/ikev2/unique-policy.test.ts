import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { parseIdentity } from '../ike/identity.js';
import { IkeSa } from './ike-sa.js';
import { applyUniqueness, type DuplicateFinder, UniquenessIndex } from './unique-policy.js';

const addr = { address: new Uint8Array([192, 0, 2, 1]), port: 4500 };
const conn = (name: string, unique: ConnectionConfig['unique']): ConnectionConfig =>
  ({ name, unique }) as unknown as ConnectionConfig;

function sa(c: ConnectionConfig, peer: string, local = 'gw.example', o: { eap?: string; up?: boolean } = {}): IkeSa {
  const s = new IkeSa(false, 1n, addr, addr);
  s.conn = c;
  s.remoteId = parseIdentity(peer);
  s.localId = parseIdentity(local);
  if (o.eap !== undefined) s.remoteEapId = o.eap;
  s.lifecycle.transition('connecting', 'test', 0);
  if (o.up !== false) s.lifecycle.transition('established', 'test', 0);
  return s;
}

/** An index that must not be asked: the O(1) cases. */
const mustNotLook: DuplicateFinder = {
  duplicates: () => assert.fail('the uniqueness index was consulted'),
};

test('unique = no without INITIAL_CONTACT, and unique = never, look nothing up', () => {
  assert.deepEqual(applyUniqueness(sa(conn('rw', 'no'), 'alice@example'), mustNotLook, false), {
    accept: true,
    replace: [],
  });
  assert.deepEqual(applyUniqueness(sa(conn('rw', 'never'), 'alice@example'), mustNotLook, true), {
    accept: true,
    replace: [],
  });
});

test('unique = no with INITIAL_CONTACT replaces the established IKE SAs of the same connection and identities only', () => {
  const rw = conn('rw', 'no');
  const index = new UniquenessIndex();
  const same = sa(rw, 'alice@example');
  const otherPeer = sa(rw, 'bob@example');
  const otherLocal = sa(rw, 'alice@example', 'gw2.example');
  const otherConn = sa(conn('site', 'no'), 'alice@example');
  const notUp = sa(rw, 'alice@example', 'gw.example', { up: false });
  for (const s of [same, otherPeer, otherLocal, otherConn, notUp]) index.add(s);
  const fresh = sa(rw, 'alice@example');
  const v = applyUniqueness(fresh, index, true);
  assert.deepEqual(v, { accept: true, replace: [same] });
});

test('unique = replace replaces, unique = keep refuses, with the EAP identity as the peer', () => {
  const index = new UniquenessIndex();
  const keep = conn('rw', 'keep');
  const old = sa(keep, '198.51.100.7', 'gw.example', { eap: 'carol' });
  index.add(old);
  index.add(sa(keep, '198.51.100.7', 'gw.example', { eap: 'dave' }));
  const v = applyUniqueness(sa(keep, '198.51.100.9', 'gw.example', { eap: 'carol' }), index, false);
  assert.deepEqual(v, { accept: false, reason: "unique = keep: 'carol' already has an IKE SA" });
  assert.deepEqual(applyUniqueness(sa(keep, '198.51.100.9', 'gw.example', { eap: 'erin' }), index, false), {
    accept: true,
    replace: [],
  });
  const rep = conn('vpn', 'replace');
  const a = sa(rep, 'alice@example');
  index.add(a);
  assert.deepEqual(applyUniqueness(sa(rep, 'alice@example'), index, false), { accept: true, replace: [a] });
});

test('UniquenessIndex: removed and no longer established IKE SAs are not duplicates, and nothing stays indexed', () => {
  const rw = conn('rw', 'replace');
  const index = new UniquenessIndex();
  const a = sa(rw, 'alice@example');
  const b = sa(rw, 'alice@example');
  index.add(a);
  index.add(b);
  index.add(b); // adding twice changes nothing
  const fresh = sa(rw, 'alice@example');
  assert.deepEqual(index.duplicates(fresh), [a, b]);
  b.lifecycle.transition('deleting', 'test', 0);
  assert.deepEqual(index.duplicates(fresh), [a]);
  index.remove(a);
  index.remove(b);
  index.remove(b);
  assert.deepEqual(index.duplicates(fresh), []);
  assert.equal(index.size, 0);
});
