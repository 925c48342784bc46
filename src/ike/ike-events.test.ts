/**
 * `esprit monitor` line formats: the expected lines are written out by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventJson, formatEvent, type IkeEvent } from './ike-events.js';

test('text lines, one per kind', () => {
  const cases: [IkeEvent, string][] = [
    [
      {
        kind: 'ike-up',
        conn: 'home',
        ikeId: 3,
        local: { address: '10.99.1.2', port: 4500 },
        remote: { address: 'fd99:2::2', port: 4500 },
        remoteId: 'gw.example',
      },
      'ike-up home[#3] 10.99.1.2:4500 <-> [fd99:2::2]:4500 remote id gw.example',
    ],
    [{ kind: 'ike-down', conn: 'home', ikeId: 3, reason: 'deleted by peer' }, 'ike-down home[#3] deleted by peer'],
    [
      {
        kind: 'child-up',
        conn: 'home',
        ikeId: 3,
        child: 'net',
        spiIn: 0xc1,
        spiOut: 0xdeadbeef,
        localTs: ['10.99.100.1/32'],
        remoteTs: ['10.99.3.0/24'],
      },
      'child-up home[#3] net spi in 0x000000c1 out 0xdeadbeef 10.99.100.1/32 === 10.99.3.0/24',
    ],
    [
      { kind: 'nat-detected', conn: 'c', ikeId: 1, local: true, remote: false, faked: false },
      'nat-detected c[#1] local host behind NAT',
    ],
    [
      { kind: 'nat-detected', conn: 'c', ikeId: 1, local: false, remote: false, faked: true },
      'nat-detected c[#1] no NAT (faked: encap = yes)',
    ],
    [
      {
        kind: 'mapping-changed',
        conn: 'gw',
        ikeId: 9,
        from: { address: '10.99.2.1', port: 31806 },
        to: { address: '10.99.2.1', port: 1024 },
        cause: 'esp',
      },
      'mapping-changed gw[#9] 10.99.2.1:31806 -> 10.99.2.1:1024 (ESP, X_NAT_T_NEW_MAPPING)',
    ],
    [
      {
        kind: 'address-update',
        conn: 'rw',
        ikeId: 4,
        role: 'responder',
        result: 'done',
        local: { address: '10.99.2.2', port: 4500 },
        remote: { address: '10.99.2.1', port: 40001 },
      },
      'address-update rw[#4] responder done 10.99.2.2:4500 <-> 10.99.2.1:40001',
    ],
    [
      { kind: 'retransmit', conn: 'c', ikeId: 1, exchange: 'IKE_AUTH', messageId: 1, attempt: 2 },
      'retransmit c[#1] IKE_AUTH request 1 retransmit 2',
    ],
    [
      {
        kind: 'auth-failed',
        conn: 'c',
        ikeId: 1,
        notify: 'AUTHENTICATION_FAILED',
        peer: '10.99.2.2',
        detail: 'in IKE_AUTH response',
      },
      'auth-failed c[#1] AUTHENTICATION_FAILED from 10.99.2.2: in IKE_AUTH response',
    ],
  ];
  for (const [e, line] of cases) assert.equal(formatEvent(e), line);
});

test('time prefix and JSON form', () => {
  const e: IkeEvent = { kind: 'ike-down', conn: 'x', ikeId: 2, reason: 'dpd', time: '2026-12-04T00:00:00.000Z' };
  assert.equal(formatEvent(e), '2026-12-04T00:00:00.000Z ike-down x[#2] dpd');
  assert.equal(
    eventJson(e),
    '{"kind":"ike-down","conn":"x","ikeId":2,"reason":"dpd","time":"2026-12-04T00:00:00.000Z"}',
  );
});
