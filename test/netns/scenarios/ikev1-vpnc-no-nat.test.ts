import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { pollFor, requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { useLab } from './scenario.js';
import { describePackets, iperf3, ping, readCapture, summarize } from './traffic.js';
import { GW, startVpnc, vpncConnected } from './vpnc-client.js';

// vpnc 0.5.3 --natt-mode none -> esprit gateway with no NAT in the path (issue 9, the fourth
// mode): the lab's nat namespace becomes a plain router as in raw-esp.test.ts (its nftables
// table deleted, gw routed back to the client LAN), so vpnc offers no NAT-T VID, IKE stays on
// 500, Quick Mode negotiates plain Tunnel mode and ESP travels as IP protocol 50 between the
// real addresses.
//
//   client 10.99.1.2 (vpnc) ──(router, no NAT)── 10.99.2.2 gw (esprit start)
const skip = requireScenarioSystem(['vpnc', 'iperf3']);
const scenario = useLab('ike1vnone-', {
  skip,
  setup: async (lab) => {
    await lab.exec('nat', ['nft', 'delete', 'table', 'inet', 'labnat']);
    await lab.exec('gw', ['ip', 'route', 'add', '10.99.1.0/24', 'via', LAB.natWan.v4]);
  },
});

test('vpnc --natt-mode none -> esprit gateway without a NAT: IKE on 500 only, raw ESP (protocol 50), ping and TCP through', {
  skip,
}, async () => {
  const l = scenario.lab;
  const cap = await l.capture('gw', 'eth0');
  const gw = await IkeHost.start(l, 'gw', GW);
  const v = await startVpnc(l, l.tmp, 'none', 'labuser-password');
  try {
    const why = () =>
      `--- vpnc ---\n${v.proc.lines.join('\n').slice(-6000)}\n${v.proc.stderr.slice(-3000)}\n--- esprit ---\n${gw.proc.stderr.slice(-8000)}`;
    assert.ok(await vpncConnected(v.log), `vpnc did not connect\n${why()}`);
    const env = readFileSync(v.log, 'utf8');
    assert.match(env, /CISCO_SPLIT_INC_0_ADDR=10\.99\.3\.0/, env);
    const vip = /INTERNAL_IP4_ADDRESS=(\S+)/.exec(env)?.[1] ?? '';
    const child = await pollFor(async () => (await gw.listSas())[0]?.children[0], 10_000);
    assert.ok(child, `no CHILD SA on the gateway\n${why()}`);
    assert.equal(child.encap, false, 'plain ESP: no UDP encapsulation');
    const [sa] = await gw.listSas();
    assert.ok(sa);
    assert.equal(sa.remote.address, LAB.client.v4, 'the client seen from its own address (no NAT)');
    assert.equal(sa.remoteBehindNat, false);
    assert.equal(sa.local.port, 500);
    assert.deepEqual(child.remoteTs, [`${vip}/32`]);
    const p = await ping(l, 'client', vip, LAB.gw.protected4, { count: 3 });
    assert.equal(p.received, 3, `${p.output}\n${why()}`);
    // TCP: one second of iperf3 from the virtual IP to the gateway's LAN address
    const perf = await iperf3(l, {
      clientRole: 'client',
      serverRole: 'gw',
      serverAddress: LAB.gw.protected4,
      bindAddress: vip,
      seconds: 1,
    });
    assert.ok(perf.bytesReceived > 0, 'TCP through the tunnel');

    const pkts = await readCapture(await cap.stop(), []);
    const s = summarize(pkts);
    assert.ok(s.rawEsp >= 6, `raw ESP (3 echo requests and replies at least), saw ${s.rawEsp}`);
    assert.equal(s.espInUdp, 0);
    for (const q of pkts.filter((x) => /:esp$/.test(x.protocols))) {
      assert.ok(
        (q.src === LAB.client.v4 && q.dst === LAB.gw.v4) || (q.src === LAB.gw.v4 && q.dst === LAB.client.v4),
        `ESP between the real addresses: ${describePackets([q])}`,
      );
    }
    const ikePorts = new Set(pkts.filter((q) => /:isakmp/.test(q.protocols)).flatMap((q) => [q.srcPort, q.dstPort]));
    assert.deepEqual([...ikePorts], [500], 'IKE only on 500');
  } finally {
    v.proc.kill('SIGTERM');
    await v.proc.exited;
    await gw.stop();
  }
});
