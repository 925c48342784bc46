import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tallyEvents } from './event-tally.js';

// Lines as `esprit monitor --json` prints them on a gateway (src/ike/ike-events.ts), written by
// hand: two CHILD SA rekeys of one client and one of another, an IKE SA rekey, a reconnect
// after a lost IKE SA, and lines that are not events.
const lines = [
  'esprit monitor: connected',
  '{"kind":"child-up","conn":"rw","ikeId":1,"child":"net","spiIn":1,"spiOut":2,"localTs":["10.99.3.10/32"],"remoteTs":["10.99.100.1/32"]}',
  '{"kind":"child-down","conn":"rw","ikeId":1,"child":"net","spiIn":3,"spiOut":4,"reason":"deleted by peer"}',
  '{"kind":"child-up","conn":"rw","ikeId":1,"child":"net","spiIn":5,"spiOut":6,"localTs":["10.99.3.10/32"],"remoteTs":["10.99.100.1/32"]}',
  '{"kind":"child-up","conn":"rw","ikeId":2,"child":"net","spiIn":7,"spiOut":8,"localTs":["10.99.3.11/32"],"remoteTs":["10.99.100.2/32"]}',
  '{"kind":"ike-down","conn":"rw","ikeId":1,"reason":"rekeyed"}',
  '{"kind":"ike-down","conn":"rw","ikeId":2,"reason":"DPD: peer did not answer liveness checks"}',
  '{"kind":"ike-up","conn":"rw","ikeId":4,"local":{"address":"10.99.2.2","port":4500},"remote":{"address":"10.99.2.1","port":1},"remoteId":"x"}',
  '{"kind":"nat-detected","conn":"rw","ikeId":4,"local":false,"remote":true,"faked":false}',
  '{not json',
];

test('tallyEvents counts CHILD rekeys per virtual IP, IKE rekeys, reconnects and lost IKE SAs', () => {
  const t = tallyEvents(lines);
  assert.equal(t.childRekeys, 3);
  assert.equal(t.ikeRekeys, 1);
  assert.equal(t.ikeUps, 1);
  assert.equal(t.ikeLost, 1);
  assert.deepEqual(
    [...t.childRekeysByVip],
    [
      ['10.99.100.1', 2],
      ['10.99.100.2', 1],
    ],
  );
});

test('tallyEvents of nothing is all zero', () => {
  const t = tallyEvents([]);
  assert.deepEqual([t.childRekeys, t.ikeRekeys, t.ikeUps, t.ikeLost, t.childRekeysByVip.size], [0, 0, 0, 0, 0]);
});
