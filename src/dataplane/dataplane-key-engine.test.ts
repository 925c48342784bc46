/**
 * The Dataplane over the real key engine (pfkey/key-engine.ts): it satisfies
 * DataplaneKeyHooks, and a NAT rebinding goes through KeyEngine.onNatMapping (SAD move,
 * onChange 'sa-updated' back into the data plane, SADB_X_NAT_T_NEW_MAPPING to the registered
 * socket). SAs and policies are installed straight into the engine's SAD/SPD: the PF_KEY
 * message path is the key engine's own tests' subject.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyEngine } from '../pfkey/key-engine.js';
import { FakeClock } from '../util/clock.js';
import { fromHex } from '../util/hex.js';
import { parseIp as ip } from '../util/ip-addr.js';
import { SeededRng } from '../util/rng.js';
import { SADB_MSG } from '../wire/pfkey/constants.js';
import type { Dataplane } from './dataplane.js';
import type { DataplaneKeyHooks } from './key-hooks.js';
import { CLIENT, GATEWAY, ICMP_REP4, ICMP_REQ4, NAT_PUBLIC, tunnelPolicy } from './scenarios.js';
import { type Host, KEY_B, Nat, Net, saConfig } from './test-harness.js';

/** Compile-time: the real engine fits the data plane's narrow interface. */
const fits: (k: KeyEngine) => DataplaneKeyHooks = (k) => k;

/*
 * SADB_REGISTER for ESP, Linux dialect (host byte order, little-endian here), RFC 2367 §2.1:
 *   02 (version) 07 (REGISTER) 00 (errno) 03 (ESP) | 0200 (len 2 x 8 bytes) 0000 |
 *   01000000 (seq 1) | 00000000 (pid 0)
 */
const REGISTER_ESP = fromHex('0207000302000000' + '0100000000000000');

function engineHost(net: Net, clock: FakeClock, name: string, address: string, behindNat: boolean) {
  let dp: Dataplane | undefined;
  const engine = new KeyEngine({ clock, rng: new SeededRng(5n), onChange: (c) => dp?.onSadChange(c) });
  const ike = engine.connect('linux');
  engine.receive(ike, REGISTER_ESP);
  const host: Host = net.host({
    name,
    address,
    behindNat,
    hooks: fits(engine),
    listeners: [{ address: behindNat ? '0.0.0.0' : address, port: 4500, role: 'natt' }],
    localAddresses: [address],
  });
  dp = host.dp;
  return { engine, host };
}

describe('Dataplane over the real KeyEngine', () => {
  it('tunnel through a NAT and a rebinding: SAD move, sa-updated, NEW_MAPPING to the registered socket', () => {
    const clock = new FakeClock(1000);
    const nat = new Nat(NAT_PUBLIC);
    const net = new Net(clock, nat);
    const natPort = nat.map({ address: CLIENT, port: 4500 });
    const c = engineHost(net, clock, 'client', CLIENT, true);
    const g = engineHost(net, clock, 'gateway', GATEWAY, false);
    c.engine.sad.add({ cfg: saConfig({ spi: 0x1001, src: ip(CLIENT), dst: ip(GATEWAY) }) });
    c.engine.sad.add({
      cfg: saConfig({
        spi: 0x2001,
        src: ip(GATEWAY),
        dst: ip(CLIENT),
        encryption: { algorithm: 'aes-gcm-16', key: KEY_B },
      }),
    });
    c.engine.spd.add({ ...tunnelPolicy('out', '10.1.0.2/32', '10.2.0.0/24', CLIENT, GATEWAY), priority: 0 });
    c.engine.spd.add({ ...tunnelPolicy('in', '10.2.0.0/24', '10.1.0.2/32', GATEWAY, CLIENT), priority: 0 });
    g.engine.sad.add({
      cfg: saConfig({
        spi: 0x1001,
        src: ip(NAT_PUBLIC),
        dst: ip(GATEWAY),
        encapsulation: { type: 'rfc3948', sport: natPort, dport: 4500 },
        natFloat: true,
      }),
    });
    g.engine.sad.add({
      cfg: saConfig({
        spi: 0x2001,
        src: ip(GATEWAY),
        dst: ip(NAT_PUBLIC),
        encryption: { algorithm: 'aes-gcm-16', key: KEY_B },
        encapsulation: { type: 'rfc3948', sport: 4500, dport: natPort },
      }),
    });
    g.engine.spd.add({ ...tunnelPolicy('in', '10.1.0.2/32', '10.2.0.0/24', NAT_PUBLIC, GATEWAY), priority: 0 });
    g.engine.spd.add({ ...tunnelPolicy('out', '10.2.0.0/24', '10.1.0.2/32', GATEWAY, NAT_PUBLIC), priority: 0 });

    c.host.dp.fromTun(ICMP_REQ4);
    net.pump();
    assert.deepEqual(g.host.tun, [ICMP_REQ4]);
    g.host.dp.fromTun(ICMP_REP4);
    net.pump();
    assert.deepEqual(c.host.tun, [ICMP_REP4]);

    const newPort = nat.rebind({ address: CLIENT, port: 4500 });
    c.host.dp.fromTun(ICMP_REQ4);
    net.pump();
    assert.equal(g.host.tun.length, 2);
    // SADB_X_NAT_T_NEW_MAPPING (23) to the registered socket, new endpoint in ADDRESS_DST/NAT_T_DPORT
    const nm = g.host.pfkey.filter((d) => d.message.header.type === 23);
    assert.equal(nm.length, 1);
    const ext = nm[0]?.message.extensions ?? [];
    const dst = ext.find((e) => e.ext === 'ADDRESS_DST');
    const dport = ext.find((e) => e.ext === 'X_NAT_T_DPORT');
    assert.ok(dst && 'addr' in dst);
    assert.deepEqual([...dst.addr.addr], [...ip(NAT_PUBLIC).bytes]);
    assert.equal(dport && 'port' in dport ? dport.port : undefined, newPort);
    // the reply follows the moved outbound SA
    g.host.dp.fromTun(ICMP_REP4);
    assert.deepEqual(net.queue[0]?.dst, { address: NAT_PUBLIC, port: newPort });
    net.pump();
    assert.deepEqual(c.host.tun, [ICMP_REP4, ICMP_REP4]);
    assert.equal(g.engine.stats['new-mapping'], 1);
  });
});

describe('SAD accounting per I/O batch (usage-batch.ts)', () => {
  it('sums a batch per SA at endBatch; a soft packet lifetime crossed in a batch expires at its end; outside a batch at once', () => {
    const clock = new FakeClock(1000);
    const net = new Net(clock);
    const c = engineHost(net, clock, 'client', CLIENT, false);
    // RFC 2367 §2.3.3: sadb_lifetime_allocations = 5 (packets, as Linux af_key counts them)
    const soft = { allocations: 5, bytes: 0n, addtime: 0, usetime: 0 };
    const hard = { allocations: 0, bytes: 0n, addtime: 0, usetime: 0 };
    const sa = c.engine.sad.add({
      cfg: saConfig({ spi: 0x1001, src: ip(CLIENT), dst: ip(GATEWAY) }),
      lifetime: { soft, hard },
    });
    c.engine.spd.add({ ...tunnelPolicy('out', '10.1.0.2/32', '10.2.0.0/24', CLIENT, GATEWAY), priority: 0 });
    const dp = c.host.dp;
    const expires = () => c.host.pfkey.filter((d) => d.message.header.type === SADB_MSG.EXPIRE).length;
    dp.beginBatch();
    for (let i = 0; i < 3; i++) dp.fromTun(ICMP_REQ4);
    assert.equal(sa.current.packets, 0n, 'nothing accounted inside the batch');
    dp.endBatch();
    assert.equal(sa.current.packets, 3n);
    assert.equal(sa.current.bytes, BigInt(3 * ICMP_REQ4.length));
    dp.beginBatch();
    for (let i = 0; i < 3; i++) dp.fromTun(ICMP_REQ4);
    assert.equal(expires(), 0);
    dp.endBatch();
    assert.equal(sa.current.packets, 6n);
    assert.equal(expires(), 1, 'the soft EXPIRE left at the end of the batch that crossed it');
    dp.fromTun(ICMP_REQ4);
    assert.equal(sa.current.packets, 7n, 'outside a batch: at once');
    assert.equal(net.queue.length, 7);
  });
});
