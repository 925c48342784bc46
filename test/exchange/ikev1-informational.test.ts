/**
 * IKEv1 Informational exchanges (RFC 2409 §5.7) between two in-process engines after Main
 * Mode and Quick Mode through the NAT: Deletes for the CHILD SA and the ISAKMP SA (RFC 2408
 * §3.15), INITIAL-CONTACT (RFC 2407 §4.6.3.3) replacing a restarted client's stale SAs, and
 * RFC 3706 DPD (R-U-THERE / R-U-THERE-ACK with sequence numbers, the dead peer after
 * dpd_timeout). Forged messages change nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ikev1Engine } from '../../src/ikev1/ikev1-engine.js';
import type { Ikev1Sa } from '../../src/ikev1/ikev1-sa.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { SeededRng } from '../../src/util/rng.js';
import { decodeIsakmpMessage } from '../../src/wire/isakmp/isakmp-decode.js';
import { Ikev1Pair } from './ikev1-pair.js';
import { configFromText } from './test-config.js';

const conf = (side: 'i' | 'r', dpd = '') =>
  configFromText(`connections {
  info {
    version = 1
    ${side === 'i' ? 'local_addrs = 10.99.1.2\n    remote_addrs = 10.99.2.2' : 'local_addrs = 10.99.2.2'}
    proposals = aes128-sha1-modp2048
    ${dpd}
    local {
      auth = psk
      id = ${side === 'i' ? 'client.esprit.test' : 'gw.esprit.test'}
    }
    remote {
      auth = psk
      id = ${side === 'i' ? 'gw.esprit.test' : 'client.esprit.test'}
    }
    children {
      net {
        local_ts = ${side === 'i' ? '10.99.4.0/24' : '10.99.3.0/24'}
        remote_ts = ${side === 'i' ? '10.99.3.0/24' : '10.99.4.0/24'}
        esp_proposals = aes128-sha1
      }
    }
  }
}
secrets {
  ike-info {
    id-a = gw.esprit.test
    id-b = client.esprit.test
    secret = "informational-secret"
  }
}
`);

function up(p: Ikev1Pair): void {
  p.initiate('info');
  p.flush();
  assert.equal(p.i.installed.length, 1);
  assert.equal(p.r.installed.length, 1);
}

const sas = (p: Ikev1Pair, s: 'i' | 'r'): Ikev1Sa[] => [...p.peer(s).engine.list()];
const infoLog = (p: Ikev1Pair, s: 'i' | 'r', verb: 'generating' | 'parsed') =>
  p.log(s, verb).filter((l) => l.startsWith('INFORMATIONAL_V1'));

test('down: a Delete for the CHILD SA (our inbound SPI) and one for the ISAKMP SA; the peer removes both', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  up(p);
  const spiIn = p.i.installed[0]?.inbound.spi;
  assert.equal(p.i.engine.terminate('info'), 1);
  p.run('i');
  assert.equal(p.i.installed.length, 0, 'removed locally');
  // HDR*, HASH(1), D(ESP) -->   HDR*, HASH(1), D(ISAKMP) -->
  const d1 = p.next();
  const d2 = p.next();
  assert.equal(decodeIsakmpMessage(d1.bytes).header.exchangeType, 5);
  p.deliver(d1);
  assert.equal(p.r.installed.length, 0, 'the ESP Delete removed the CHILD SA');
  assert.equal(sas(p, 'r').length, 1, 'the ISAKMP SA is still there');
  p.deliver(d2);
  assert.equal(sas(p, 'r').length, 0);
  assert.deepEqual(
    infoLog(p, 'r', 'parsed').map((l) => l.replace(/request \d+/, 'request M')),
    [
      'INFORMATIONAL_V1 request M [ HASH N(INITIAL_CONTACT) ]',
      'INFORMATIONAL_V1 request M [ HASH D ]',
      'INFORMATIONAL_V1 request M [ HASH D ]',
    ],
  );
  const down = p.r.events.filter((e) => e.kind === 'child-down' || e.kind === 'ike-down');
  assert.deepEqual(
    down.map((e) => [e.kind, 'reason' in e ? e.reason : '']),
    [
      ['child-down', 'deleted by peer'],
      ['ike-down', 'deleted by peer'],
    ],
  );
  const cd = p.r.events.find((e) => e.kind === 'child-down');
  assert.ok(cd?.kind === 'child-down' && cd.spiOut === spiIn, 'the SPI in the Delete was the sender’s inbound one');
});

test('a forged or replayed-under-another-SA Delete changes nothing', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  up(p);
  p.i.engine.terminate('info');
  p.run('i');
  const d1 = p.next();
  const forged = { ...d1, bytes: d1.bytes.slice() };
  const at = forged.bytes.length - 5;
  forged.bytes[at] = (forged.bytes[at] ?? 0) ^ 0x40;
  p.deliver(forged);
  assert.equal(p.r.installed.length, 1);
  assert.equal(p.r.engine.drops.get('undecryptable'), 1);
  // an unencrypted Informational is never accepted
  const h = decodeIsakmpMessage(d1.bytes).header;
  const clear = d1.bytes.slice(0, 28);
  clear[19] = 0; // flags: no E
  clear.set([0, 0, 0, 28], 24);
  clear[16] = 0; // no payloads
  p.deliver({ ...d1, bytes: clear });
  assert.equal(p.r.installed.length, 1);
  assert.equal(sas(p, 'r').length, 1);
  assert.ok(h.messageId !== 0);
});

test('INITIAL-CONTACT from a restarted client replaces its stale ISAKMP and CHILD SAs on the gateway', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  up(p);
  const old = sas(p, 'r')[0];
  // the client restarts: a new engine without any state, the same identity
  const logger = new MemoryLogger();
  p.i.engine = new Ikev1Engine(conf('i'), p.clock, new SeededRng(77n), logger);
  p.i.logger = logger;
  p.i.installed = [];
  p.initiate('info', 2);
  p.flush();
  const now = sas(p, 'r');
  assert.equal(now.length, 1, 'only the new ISAKMP SA is left');
  assert.notEqual(now[0], old);
  assert.equal(p.r.installed.length, 1, 'the new CHILD SA; the old one was removed');
  assert.ok(p.r.events.some((e) => e.kind === 'ike-down' && e.reason === 'replaced (INITIAL-CONTACT)'));
});

test('DPD (RFC 3706): R-U-THERE after dpd_delay of silence is answered with the same sequence number; an unanswered peer is dead after dpd_timeout', () => {
  const dpd = 'dpd_delay = 30s\n    dpd_timeout = 120s';
  const p = new Ikev1Pair(conf('i', dpd), conf('r', dpd));
  up(p);
  assert.equal(sas(p, 'i')[0]?.peerDpd, true, 'both sent the DPD vendor ID');
  p.advance(30_000);
  // HDR*, HASH(1), N(R-U-THERE) --> from both (each had 30 s of silence)
  const ruThere = p.wire.filter((d) => d.from === 'i');
  assert.equal(ruThere.length, 1);
  p.flush();
  const seqSent = sas(p, 'i')[0]?.dpd?.seq;
  assert.equal(sas(p, 'i')[0]?.dpd?.pending, undefined, 'the ACK cleared the check');
  assert.match(infoLog(p, 'i', 'generating').join('\n'), /\[ HASH N\(DPD\) \]/);
  assert.match(infoLog(p, 'i', 'generating').join('\n'), /\[ HASH N\(DPD_ACK\) \]/);
  assert.ok(seqSent !== undefined);
  // from now on the gateway's answers are lost
  let sent = 0;
  for (let t = 0; t < 200 && sas(p, 'i').length > 0; t++) {
    p.advance(1000);
    sent += p.wire.filter((d) => d.from === 'i').length;
    p.wire.length = 0;
  }
  assert.equal(sas(p, 'i').length, 0, 'declared dead');
  assert.equal(p.i.installed.length, 0, 'its CHILD SA removed');
  assert.ok(p.i.events.some((e) => e.kind === 'ike-down' && e.reason === 'DPD: peer dead'));
  // R-U-THERE every 30 s until 120 s after the first unanswered one: at 0, 30, 60, 90 s
  assert.equal(sent, 4);
});
