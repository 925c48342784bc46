import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { clientConf, GW_CONF } from './ikev2-configs.js';
import { useLab } from './scenario.js';
import { isLinkHousekeeping, ping, readCapture, waitForPing } from './traffic.js';

// IKEv2 between two esprit hosts, each `esprit start` from a swanctl.conf:
//  1. road warrior behind the lab NAT (masquerade, random ports) -> gateway: PSK, a virtual
//     IP from the gateway's pool, ping through the tunnel; the capture on the gateway's
//     public side holds UDP 500 (IKE_SA_INIT) and then only UDP 4500 (RFC 7296 §2.23).
//  2. encap = yes without a NAT (the nat namespace talks to the gateway directly): forced
//     UDP encapsulation, NAT-D faked (strongSwan's force-encap), ESP in UDP 4500.
const skip = requireScenarioSystem();
const scenario = useLab('ike2-', { skip });

test('esprit road warrior behind a NAT -> esprit gateway: PSK, virtual IP, ping, UDP 500 then 4500', {
  skip,
}, async () => {
  const l = scenario.lab;
  const cap = await l.capture('gw', 'eth0');
  const gw = await IkeHost.start(l, 'gw', GW_CONF);
  const client = await IkeHost.start(l, 'client', clientConf());
  try {
    const up = await client.up('home');
    assert.equal(
      up.code,
      0,
      `esprit up failed: ${up.stderr}\n--- client:\n${client.proc.stderr}\n--- gw:\n${gw.proc.stderr}`,
    );
    const [cs] = await client.listSas();
    const [gs] = await gw.listSas();
    assert.ok(cs && gs, 'both ends list the IKE SA');
    assert.equal(cs.state, 'established');
    assert.equal(gs.state, 'established');
    assert.equal(cs.localBehindNat, true, 'the client sees its NAT');
    assert.equal(gs.remoteBehindNat, true, 'the gateway sees the client behind a NAT');
    assert.equal(cs.local.port, 4500);
    assert.equal(cs.remote.port, 4500);
    assert.equal(gs.remote.address, LAB.natWan.v4);
    assert.notEqual(gs.remote.port, 4500, 'random NAT ports: the gateway talks to the mapped port');
    const vip = cs.vipsLocal[0];
    assert.equal(vip, '10.99.100.1', 'the first address of the pool');
    assert.deepEqual(gs.vipsRemote, ['10.99.100.1']);
    assert.deepEqual(cs.children[0]?.localTs, ['10.99.100.1/32']);
    assert.deepEqual(cs.children[0]?.remoteTs, ['10.99.3.0/24']);
    assert.equal(cs.children[0]?.spiIn, gs.children[0]?.spiOut);
    assert.equal(cs.children[0]?.encapPorts?.remote, 4500);

    await waitForPing(l, 'client', vip, LAB.gw.protected4);
    const p = await ping(l, 'client', vip, LAB.gw.protected4, { count: 5 });
    assert.equal(p.received, 5, p.output);
    const [after] = await client.listSas();
    assert.ok((after?.children[0]?.packetsOut ?? 0) >= 5, 'list-sas counts the packets sent');
    // `esprit down`: the Delete exchange, then no SA and no policy left in either data plane.
    assert.equal((await client.cli(['down', 'home'])).code, 0);
    for (const h of [client, gw]) {
      let st = { sas: [1], policies: [1] } as { sas: unknown[]; policies: unknown[] };
      for (let i = 0; i < 30 && (st.sas.length > 0 || st.policies.length > 0); i++) {
        await new Promise((r) => setTimeout(r, 100));
        st = JSON.parse((await h.cli(['status', '--json'])).stdout) as typeof st;
      }
      assert.deepEqual([st.sas.length, st.policies.length], [0, 0], `${h.role}: SAD and SPD empty after down`);
      assert.deepEqual(await h.listSas(), []);
    }
  } finally {
    await client.stop();
    await gw.stop();
  }
  const pkts = (await readCapture(await cap.stop(), [4500])).filter((p) => !isLinkHousekeeping(p));
  const ports = pkts.map((p) =>
    p.srcPort === 500 || p.dstPort === 500 ? 500 : p.srcPort === 4500 || p.dstPort === 4500 ? 4500 : -1,
  );
  assert.ok(!ports.includes(-1), `only UDP 500 and 4500 on the public side: ${JSON.stringify(pkts.slice(0, 5))}`);
  const first4500 = ports.indexOf(4500);
  assert.ok(first4500 === 2, `IKE_SA_INIT request and response on 500, then 4500 only (got ${ports.join(',')})`);
  assert.ok(
    ports.slice(first4500).every((p) => p === 4500),
    'nothing on 500 after the float',
  );
});

test('encap = yes without a NAT: forced UDP encapsulation between the nat namespace and the gateway', {
  skip,
}, async () => {
  const l = scenario.lab;
  // The lab masquerades everything leaving the nat namespace's wan side, its own packets too:
  // exempt them, so this peer talks to the gateway without any NAT.
  await l.exec('nat', [
    'nft',
    'insert',
    'rule',
    'inet',
    'labnat',
    'postrouting',
    'ip',
    'saddr',
    LAB.natWan.v4,
    'accept',
  ]);
  const gw = await IkeHost.start(l, 'gw', GW_CONF);
  const peer = await IkeHost.start(l, 'nat', clientConf({ encap: true }));
  try {
    const up = await peer.up('home');
    assert.equal(up.code, 0, `esprit up failed: ${up.stderr}\n${peer.proc.stderr}`);
    const [ps] = await peer.listSas();
    const [gs] = await gw.listSas();
    assert.ok(ps && gs);
    assert.equal(ps.natFaked, true, 'our NAT-D SOURCE hash was faked');
    assert.equal(ps.localBehindNat, false, 'no real NAT');
    assert.equal(gs.remoteBehindNat, true, 'the gateway believes the peer is behind a NAT');
    assert.equal(ps.encap, true);
    assert.equal(gs.remote.port, 4500, 'no NAT: the port stays 4500');
    assert.equal(ps.children[0]?.encap, true, 'ESP in UDP');
    const vip = ps.vipsLocal[0] ?? '';
    await waitForPing(l, 'nat', vip, LAB.gw.protected4);
  } finally {
    await peer.stop();
    await gw.stop();
  }
});
