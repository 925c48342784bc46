/**
 * ESP as liveness for DPD (RFC 7296 §2.4, src/ikev2/child-liveness.ts), between two in-process
 * engines (ikev2-pair.ts) on the fake clock: the gateway has dpd_delay 30 s; the daemon's
 * report `childTraffic(spiIn, lastSeenMs)` (authenticated ESP seen on an inbound CHILD SA)
 * postpones the empty INFORMATIONAL to dpd_delay after that packet.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLIENT, GW } from './exchange-configs.js';
import { IkePair } from './ikev2-pair.js';
import { configFromText } from './test-config.js';

function established(): { p: IkePair; spiIn: number } {
  const gw = GW().replace('pools = rw4', 'pools = rw4\n    dpd_delay = 30s');
  const p = new IkePair(configFromText(CLIENT()), configFromText(gw));
  p.initiate('home');
  p.flush();
  const spiIn = p.r.engine.list()[0]?.children[0]?.spiIn;
  assert.ok(spiIn !== undefined, 'the gateway has a CHILD SA');
  return { p, spiIn };
}

/** The gateway's liveness check: INFORMATIONAL request with no payloads (§1.4). */
function assertCheck(p: IkePair): void {
  const m = p.next();
  assert.equal(m.from, 'r');
  assert.equal(p.log('r', 'generating').at(-1), 'INFORMATIONAL request 0 [ ]');
  assert.equal(p.wire.length, 0);
}

test('ESP on the CHILD SA 20 s in: no INFORMATIONAL at 30 s, the check comes 30 s after the packet', () => {
  const { p, spiIn } = established();
  p.advance(20_000);
  // <-- ESP (SPI = the gateway's inbound SPI), reported by the daemon
  p.r.engine.childTraffic(spiIn, p.clock.now());
  p.advance(10_000);
  assert.equal(p.wire.length, 0, 'no check at dpd_delay after IKE_AUTH: the peer sent ESP since');
  p.advance(19_999);
  assert.equal(p.wire.length, 0, 'none just before dpd_delay after the ESP packet');
  p.advance(1);
  assertCheck(p);
});

test('steady ESP keeps a peer from ever being checked; once it stops, the check follows dpd_delay later', () => {
  const { p, spiIn } = established();
  for (let t = 0; t < 12; t++) {
    p.advance(10_000);
    p.r.engine.childTraffic(spiIn, p.clock.now());
  }
  assert.equal(p.wire.length, 0, '120 s of ESP and no liveness check');
  p.advance(29_999);
  assert.equal(p.wire.length, 0);
  p.advance(1);
  assertCheck(p);
});

test('childTraffic: an unknown SPI, a time in the future and one older than the last IKE message move nothing forward', () => {
  const { p, spiIn } = established();
  const up = p.clock.now();
  p.r.engine.childTraffic(0xdeadbeef, up + 25_000); // no such CHILD SA
  p.r.engine.childTraffic(spiIn, up - 5_000); // before IKE_AUTH: not newer
  p.advance(10_000);
  // A report from the future is cut to now: the check waits 30 s from now, not from then.
  p.r.engine.childTraffic(spiIn, p.clock.now() + 3_600_000);
  p.advance(29_999);
  assert.equal(p.wire.length, 0);
  p.advance(1);
  assertCheck(p);
  assert.equal(p.clock.now() - up, 40_000, 'dpd_delay after the (clamped) report 10 s in');
});

test('the initiator side too: the client with dpd_delay skips its check while the gateway sends ESP', () => {
  const client = CLIENT().replace('home {', 'home {\n    dpd_delay = 30s');
  const p = new IkePair(configFromText(client), configFromText(GW()));
  p.initiate('home');
  p.flush();
  const spiIn = p.i.engine.list()[0]?.children[0]?.spiIn;
  assert.ok(spiIn !== undefined);
  p.advance(25_000);
  p.i.engine.childTraffic(spiIn, p.clock.now());
  p.advance(29_999);
  assert.equal(p.wire.length, 0);
  p.advance(1);
  const m = p.next();
  assert.equal(m.from, 'i');
  assert.match(p.log('i', 'generating').at(-1) ?? '', /^INFORMATIONAL request \d+ \[ /);
});
