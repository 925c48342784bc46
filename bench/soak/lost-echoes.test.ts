import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventsNear, lostEchoes } from './lost-echoes.js';

test('lostEchoes: the icmp_seq values ping printed no reply for, with their send times', () => {
  const out = [
    'PING 10.99.3.10 (10.99.3.10) from 10.99.100.1 : 56(84) bytes of data.',
    '64 bytes from 10.99.3.10: icmp_seq=1 ttl=64 time=1.10 ms',
    '64 bytes from 10.99.3.10: icmp_seq=2 ttl=64 time=1.20 ms',
    '64 bytes from 10.99.3.10: icmp_seq=4 ttl=64 time=1.30 ms',
    '',
    '--- 10.99.3.10 ping statistics ---',
    '5 packets transmitted, 3 received, 40% packet loss, time 801ms',
  ].join('\n');
  assert.deepEqual(lostEchoes(out, 5, 0.2), [
    { seq: 3, atS: 0.4 },
    { seq: 5, atS: 0.8 },
  ]);
});

test("eventsNear: a client's CHILD SA events within the window, child-down matched by the SPI of its child-up", () => {
  const t0 = Date.parse('2026-12-04T08:00:00.000Z');
  const lines = [
    '{"kind":"child-up","spiIn":3221225473,"remoteTs":["10.99.100.1/32"],"time":"2026-12-04T07:59:58.000Z"}',
    '{"kind":"child-up","spiIn":3221225474,"remoteTs":["10.99.100.2/32"],"time":"2026-12-04T08:00:00.100Z"}',
    '{"kind":"child-down","spiIn":3221225474,"reason":"rekeyed","time":"2026-12-04T08:00:00.200Z"}',
    '{"kind":"child-up","spiIn":3221225475,"remoteTs":["10.99.100.1/32"],"time":"2026-12-04T08:00:00.300Z"}',
    '{"kind":"child-down","spiIn":3221225473,"reason":"deleted by peer","time":"2026-12-04T08:00:00.400Z"}',
    'not json',
  ];
  assert.deepEqual(eventsNear(lines, '10.99.100.1', t0, 1000), [
    'child-up c0000003 at +300 ms',
    'child-down c0000001 deleted by peer at +400 ms',
  ]);
});
