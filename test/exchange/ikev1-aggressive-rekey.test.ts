/**
 * Phase 1 rekey of an Aggressive Mode client SA (docs/ikev1.md "Rekeying and lifetimes"): an
 * esprit client of a Cisco-style gateway (Aggressive Mode with the group PSK, XAUTH, Mode Config
 * pull, Unity split include) replaces its ISAKMP SA at rekey_time by a new Aggressive Mode, XAUTH
 * with the same credentials and a Mode Config request for the address it holds, as strongSwan
 * (task_manager_v1.c queue_ike_reauth copies the virtual IPs, mode_config.c build_i requests
 * them) and Cisco clients do; and a Main Mode client with a virtual IP, which goes the same way
 * after its Main Mode. The esprit gateway (transaction.ts) on the other side, a NAT in front of
 * the client, a FakeClock.
 *
 * Independent expected bytes: the client's Mode Config request is opened with the gateway's keys
 * and compared with octets written by hand from mode-cfg-05 §3.2 / RFC 2408 §3.3 (TLV = type,
 * length, value; INTERNAL_IP4_ADDRESS 1 with the 4 octets of 10.99.100.1).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tsToString } from '../../src/config/traffic-selector.js';
import type { Ikev1Sa } from '../../src/ikev1/ikev1-sa.js';
import { exchangeIv, openProtected } from '../../src/ikev1/phase2-message.js';
import { toHex } from '../../src/util/hex.js';
import { decodeIsakmpHeader, decodeIsakmpMessage } from '../../src/wire/isakmp/isakmp-decode.js';
import { encodeIsakmpPayloadChain } from '../../src/wire/isakmp/isakmp-encode.js';
import { amXauthClientConf, amXauthGatewayConf } from '../util/ikev1-am-xauth.js';
import { ep, Ikev1Pair } from './ikev1-pair.js';
import { configFromText } from './test-config.js';

const GW = (pool = '10.99.100.0/24', ike = '') => configFromText(amXauthGatewayConf({ pool, extra: ike }));

const CLIENT = (password = 'labuser-password', overTime = '6s') =>
  configFromText(
    amXauthClientConf({ password, extra: `rekey_time = 60s\n    over_time = ${overTime}\n    rand_time = 0s` }),
  );

const sas = (p: Ikev1Pair, s: 'i' | 'r'): Ikev1Sa[] => [...p.peer(s).engine.list()];
const shape = (p: Ikev1Pair) =>
  p.i.installed.map((x) => [x.child, x.localTs.map(tsToString).join(), x.remoteTs.map(tsToString).join()]);

/** Up: AM, XAUTH, Mode Config (10.99.100.1), one Quick Mode per split include network. */
function up(p: Ikev1Pair): Ikev1Sa {
  p.initiate('office');
  p.flush();
  assert.deepEqual(shape(p), [
    ['office', '10.99.100.1/32', '10.99.3.0/24'],
    ['office-2', '10.99.100.1/32', '192.168.7.0/25'],
  ]);
  assert.deepEqual(p.i.vips, ['10.99.100.1']);
  const [sa] = sas(p, 'i');
  assert.ok(sa?.aggressive);
  return sa;
}

test('Aggressive Mode client rekey: AM + XAUTH + Mode Config asking for the held address, the CHILD SAs move to the new SA on both sides, the VIP stays on the TUN', () => {
  const p = new Ikev1Pair(CLIENT(), GW());
  const oldI = up(p);
  const [oldR] = sas(p, 'r');
  assert.ok(oldR);
  const plansI = [...p.i.installed];
  const plansR = [...p.r.installed];
  const vipAdds = () => p.i.vips.length;
  p.advance(59_999);
  assert.equal(p.wire.length, 0, 'nothing before rekey_time');
  p.advance(1);
  // HDR, SA, KE, Ni, IDii, VID* --> Aggressive Mode again, fresh cookies, on the floated ports
  const am1 = p.next();
  const h = decodeIsakmpHeader(am1.bytes);
  assert.equal(h.exchangeType, 4, 'AGGRESSIVE');
  assert.equal(h.spiR, 0n);
  assert.notEqual(h.spiI, oldI.spiI);
  assert.equal(ep(am1.local), '10.99.1.2:4500');
  assert.ok(p.i.logger.lines.some((l) => l.includes('rekeying ISAKMP SA office: a new Aggressive Mode')));
  p.deliver(am1);
  // AM2, AM3, then XAUTH (the gateway asks, the client answers with the same user and
  // password), until the client's Mode Config request of the new SA
  let req: ReturnType<typeof decodeIsakmpMessage> | undefined;
  for (let n = 0; n < 20 && !req; n++) {
    const d = p.next();
    const m = decodeIsakmpMessage(d.bytes);
    const gw = sas(p, 'r').find((s) => s.spiI === h.spiI);
    if (d.from === 'i' && m.header.spiI === h.spiI && m.header.exchangeType === 6 && gw?.xauth?.state === 'done') {
      req = m;
      const o = openProtected(gw, m, exchangeIv(gw)(m.header.messageId));
      assert.ok(typeof o !== 'string', String(o));
      const attr = o.payloads[0];
      assert.ok(attr?.kind === 'ATTR');
      // REQUEST (1), reserved, identifier; INTERNAL_IP4_ADDRESS (1) length 4 = 0a 63 64 01
      // (10.99.100.1), then the zero-length asks as in the first request: netmask 2, DNS 3,
      // NBNS 4, Unity banner 0x7000, default domain 0x7002, split DNS 0x7003, split include
      // 0x7004, split exclude 0x7006
      assert.equal(
        toHex(encodeIsakmpPayloadChain([attr])).slice(8),
        `0100${attr.identifier.toString(16).padStart(4, '0')}` +
          '000100040a636401' +
          '00020000' +
          '00030000' +
          '00040000' +
          '70000000' +
          '70020000' +
          '70030000' +
          '70040000' +
          '70060000',
      );
    }
    p.deliver(d);
  }
  assert.ok(req, 'the new SA pulled Mode Config');
  p.flush();
  const newI = sas(p, 'i').find((s) => s !== oldI);
  const newR = sas(p, 'r').find((s) => s !== oldR);
  assert.ok(newI && newR);
  assert.equal(newI.state, 'established');
  assert.equal(newI.aggressive, true);
  assert.deepEqual(
    newI.children.map((c) => c.plan),
    plansI,
    'the client moved both CHILD SAs to the new ISAKMP SA',
  );
  assert.deepEqual(
    newR.children.map((c) => c.plan),
    plansR,
    'so did the gateway (after XAUTH)',
  );
  assert.deepEqual([p.i.installed, p.r.installed], [plansI, plansR], 'nothing removed or re-installed');
  assert.equal(vipAdds(), 1);
  assert.deepEqual(p.i.vips, ['10.99.100.1'], 'the address stays on the TUN, added once');
  assert.equal(toHex(newI.vipsLocal?.[0] ?? new Uint8Array(0)), '0a636401');
  assert.equal(toHex(newR.vipsRemote[0] ?? new Uint8Array(0)), '0a636401');
  assert.ok(!p.i.events.some((e) => e.kind === 'child-down' || e.kind === 'auth-failed'));
  assert.ok(p.i.logger.lines.some((l) => l.includes(`replaces ISAKMP SA #${oldI.id} (phase 1 rekey), adopting 2`)));
  // 10 s later the old SA is deleted by both sides, as replaced; the VIP stays
  p.advance(10_000);
  p.flush();
  assert.deepEqual(sas(p, 'i'), [newI]);
  assert.deepEqual(sas(p, 'r'), [newR]);
  assert.deepEqual(p.i.vips, ['10.99.100.1']);
  for (const s of ['i', 'r'] as const)
    assert.deepEqual(
      p
        .peer(s)
        .events.filter((e) => e.kind === 'ike-down')
        .map((e) => (e.kind === 'ike-down' ? e.reason : '')),
      ['replaced by a new ISAKMP SA'],
    );
  // a Quick Mode rekey of the first CHILD SA now runs under the new ISAKMP SA, same reqid
  const first = plansI[0];
  assert.ok(first);
  p.i.engine.childExpired(first.inbound.spi, false);
  p.run('i');
  p.flush();
  const again = p.i.installed.find((x) => x.child === 'office' && x !== first);
  assert.ok(again);
  assert.equal(again.reqid, first.reqid);
  assert.ok(newI.children.some((c) => c.plan === again));
  // the replaced pair goes 2 s after HASH(3) (REKEYED_DELETE_MS)
  p.advance(2_000);
  p.flush();
  assert.ok(!p.i.installed.includes(first));
  // and the next phase 1 rekey comes at rekey_time of the new SA
  assert.ok(newI.life?.rekeyAt !== undefined);
});

test('Aggressive Mode client rekey, the gateway hands out another address: the old SA and its CHILD SAs go, new Quick Modes on the new SA with the new address', () => {
  const p = new Ikev1Pair(CLIENT(), GW());
  const oldI = up(p);
  const plansI = [...p.i.installed];
  // the gateway lost its SA (its Deletes never arrive) and now leases from another pool
  p.r.engine.terminate('vpnc');
  p.run('r');
  p.wire.splice(0);
  p.r.engine.reload(GW('10.99.101.0/24'));
  p.advance(60_000);
  p.flush();
  const [newI, ...rest] = sas(p, 'i');
  assert.equal(rest.length, 0, 'only the new ISAKMP SA is left');
  assert.ok(newI && newI !== oldI && newI.state === 'established');
  assert.ok(
    p.i.logger.lines.some((l) =>
      l.includes(`assigned 10.99.101.1 instead of 10.99.100.1: ISAKMP SA #${oldI.id} and its CHILD SAs go`),
    ),
  );
  assert.deepEqual(p.i.vips, ['10.99.101.1'], 'the old address off the TUN, the new one on');
  assert.deepEqual(shape(p), [
    ['office', '10.99.101.1/32', '10.99.3.0/24'],
    ['office-2', '10.99.101.1/32', '192.168.7.0/25'],
  ]);
  assert.ok(
    p.i.installed.every((x) => !plansI.includes(x)),
    'the CHILD SAs were made again',
  );
  assert.deepEqual(
    newI.children.map((c) => c.plan),
    p.i.installed,
  );
  assert.deepEqual(
    p.i.events.filter((e) => e.kind === 'child-down').map((e) => (e.kind === 'child-down' ? e.reason : '')),
    ['replaced by a new ISAKMP SA', 'replaced by a new ISAKMP SA'],
  );
  assert.equal(p.r.installed.length, 2, 'the gateway has the new pair of CHILD SAs');
});

test('Aggressive Mode client rekey refused by XAUTH: the replacement goes, the old SA keeps its CHILD SAs and tries again 30 s later', () => {
  const p = new Ikev1Pair(CLIENT('labuser-password', '60s'), GW());
  const oldI = up(p);
  const plansI = [...p.i.installed];
  // the XAUTH password changed in the client's configuration, the gateway's did not; the
  // lifetime (60 s + over_time 60 s) leaves room for the retry at 90 s
  p.i.engine.reload(CLIENT('changed-password'));
  p.advance(60_000);
  p.flush();
  assert.deepEqual(sas(p, 'i'), [oldI], 'the replacement failed, the old SA is left');
  assert.deepEqual(
    oldI.children.map((c) => c.plan),
    plansI,
  );
  assert.deepEqual(p.i.installed, plansI);
  assert.deepEqual(p.i.vips, ['10.99.100.1']);
  const failed = p.i.events.filter((e) => e.kind === 'auth-failed');
  assert.equal(failed.length, 1);
  assert.ok(!p.i.events.some((e) => e.kind === 'child-down'));
  p.advance(29_999);
  assert.equal(p.wire.length, 0);
  p.advance(1);
  const am1 = p.next();
  assert.equal(decodeIsakmpHeader(am1.bytes).exchangeType, 4, 'a new Aggressive Mode 30 s later');
});

test("the gateway's lower phase 1 lifetime (RESPONDER-LIFETIME after XAUTH) applies to the replacement too, though its schedule starts once configured", () => {
  // gateway: 40 s + 4 s = 44 s < the client's 66 s (RFC 2407 §4.6.3.1)
  const p = new Ikev1Pair(CLIENT(), GW('10.99.100.0/24', 'rekey_time = 40s\n    over_time = 4s'));
  const oldI = up(p);
  assert.equal(oldI.life?.seconds, 44);
  // the client rekeys at 90 % of 44 s = 39.6 s (before its own 60 s)
  p.advance(39_599);
  assert.equal(p.wire.length, 0);
  p.advance(1);
  assert.equal(decodeIsakmpHeader(p.wire[0]?.bytes ?? new Uint8Array()).exchangeType, 4);
  p.flush();
  const newI = sas(p, 'i').find((s) => s !== oldI);
  assert.ok(newI && newI.children.length === 2);
  assert.equal(newI.life?.seconds, 44, 'RESPONDER-LIFETIME honoured for the replacement');
});

const MM = (side: 'i' | 'r') =>
  configFromText(`connections {
  mm {
    version = 1
    ${side === 'i' ? 'local_addrs = 10.99.1.2\n    remote_addrs = 10.99.2.2\n    vips = 0.0.0.0\n    rekey_time = 60s\n    over_time = 6s\n    rand_time = 0s' : 'local_addrs = 10.99.2.2\n    pools = pool4'}
    proposals = aes128-sha1-modp2048
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
        ${side === 'i' ? 'remote_ts = 10.99.3.0/24' : 'local_ts = 10.99.3.0/24'}
        esp_proposals = aes128-sha1
      }
    }
  }
}
pools {
  pool4 {
    addrs = 10.99.100.0/24
  }
}
secrets {
  ike-mm {
    id-a = gw.esprit.test
    id-b = client.esprit.test
    secret = "mm-secret"
  }
}
`);

test('Main Mode client with a virtual IP (Mode Config pull, no XAUTH): the replacement asks for the held address and adopts once configured, the VIP stays on the TUN', () => {
  const p = new Ikev1Pair(MM('i'), MM('r'));
  p.initiate('mm');
  p.flush();
  assert.deepEqual(p.i.vips, ['10.99.100.1']);
  const [oldI] = sas(p, 'i');
  assert.ok(oldI && !oldI.aggressive);
  const plans = [...p.i.installed];
  assert.equal(plans.length, 1);
  p.advance(60_000);
  const mm1 = p.next();
  assert.equal(decodeIsakmpHeader(mm1.bytes).exchangeType, 2, 'ID_PROT: a Main Mode SA is replaced by Main Mode');
  p.deliver(mm1);
  p.flush();
  const newI = sas(p, 'i').find((s) => s !== oldI);
  assert.ok(newI);
  assert.deepEqual(
    newI.children.map((c) => c.plan),
    plans,
  );
  assert.deepEqual(p.i.installed, plans);
  p.advance(10_000);
  p.flush();
  assert.deepEqual(sas(p, 'i'), [newI]);
  assert.deepEqual(p.i.vips, ['10.99.100.1'], "the old SA's removal must not take the address off the TUN");
});
