import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { pollFor, requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { ikev1Conf } from './ikev1-configs.js';
import { useLab } from './scenario.js';
import { StrongSwanHost } from './strongswan-host.js';
import { ping, waitForPing } from './traffic.js';

// IKEv1 in `esprit start` (iked + ipsecd) against strongSwan 5.9.8 (kernel-libipsec) through
// the lab NAT (masquerade, random ports), both roles: Main Mode PSK, Quick Mode with one
// selector pair (client LAN 10.99.4.1/32 <-> gateway LAN 10.99.3.0/24), RFC 3947 NAT-T with
// the float to 4500 and UDP-encapsulated ESP, then ping through the tunnel.
//  1. esprit client (`esprit up`) -> charon gateway, Quick Mode with PFS (modp2048)
//  2. charon client (`swanctl --initiate`) -> esprit gateway, Quick Mode without PFS
const skip = requireScenarioSystem(['/usr/lib/ipsec/charon', 'swanctl']);
const scenario = useLab('ike1d-', { skip });

const PSK = 'esprit-ikev1-iked-0123456789';
const conf = (side: 'client' | 'gw', esp: string, extra = ''): string =>
  ikev1Conf(side, { psk: PSK, ike: extra, proposals: 'aes128-sha256-modp2048, aes256-sha1-modp1024', esp });

test('esprit IKEv1 client behind the NAT -> strongSwan gateway: Main Mode PSK, Quick Mode with PFS, ping through the tunnel', {
  skip,
}, async () => {
  const l = scenario.lab;
  // charon checks liveness every 2 s (RFC 3706 R-U-THERE, esprit answers)
  const gw = await StrongSwanHost.start(l, 'gw', conf('gw', 'aes128-sha1-modp2048', 'dpd_delay = 2s'));
  const client = await IkeHost.start(l, 'client', conf('client', 'aes128-sha1-modp2048'));
  const mon = client.monitor();
  try {
    const up = await client.up('v1');
    const why = () => `--- esprit ---\n${client.proc.stderr.slice(-6000)}\n--- charon ---\n${gw.log(200)}`;
    assert.equal(up.code, 0, `esprit up failed: ${up.stdout}${up.stderr}\n${why()}`);
    const [cs] = await client.listSas();
    assert.ok(cs, why());
    assert.equal(cs.state, 'established');
    assert.equal(cs.localBehindNat, true);
    assert.equal(cs.local.port, 4500);
    assert.equal(cs.remoteId, 'gw.lab');
    const child = cs.children[0];
    assert.ok(child, 'one CHILD SA listed');
    assert.equal(child.name, 'net');
    assert.equal(child.encap, true);
    assert.deepEqual(child.remoteTs, ['10.99.3.0/24']);
    const sas = await gw.listSas();
    assert.match(sas, /v1: #\d+, ESTABLISHED, IKEv1/, sas);
    assert.match(sas, /net: #\d+, reqid \d+, INSTALLED, TUNNEL-in-UDP, ESP:AES_CBC-128\/HMAC_SHA1_96\/MODP_2048/, sas);
    await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4, 10);
    const p = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 5 });
    assert.equal(p.received, 5, p.output);
    // strongSwan counts what it decrypted from esprit (kernel-libipsec's SA statistics)
    assert.match(await gw.listSas(), /in {2}[0-9a-f]{8}, +\d{3,} bytes, +[1-9]\d* packets/);
    // `esprit monitor` saw the IKEv1 SA and its CHILD SA come up
    mon.kill('SIGTERM');
    await mon.exited;
    const events = mon.lines.filter((x) => x.startsWith('{')).map((x) => JSON.parse(x) as Record<string, unknown>);
    assert.ok(
      events.some((e) => e.kind === 'ike-up' && e.conn === 'v1' && e.remoteId === 'gw.lab'),
      mon.lines.join('\n'),
    );
    assert.ok(
      events.some((e) => e.kind === 'child-up' && e.conn === 'v1' && e.child === 'net'),
      mon.lines.join('\n'),
    );
    // RFC 3706: charon's R-U-THERE is answered (charon parses our encrypted ACK)
    const acked = await pollFor(
      async () => (/parsed INFORMATIONAL_V1 request \d+ \[ HASH N\(DPD_ACK\) \]/.test(gw.log(400)) ? true : undefined),
      15_000,
    );
    assert.ok(acked, `no DPD_ACK parsed by charon:\n${why()}`);
    // esprit down: Deletes for the CHILD SA and the ISAKMP SA; charon removes both
    const down = await client.cli(['down', 'v1']);
    assert.equal(down.code, 0, down.stderr);
    const gone = await pollFor(async () => ((await gw.listSas()).trim() === '' ? true : undefined), 10_000);
    assert.ok(gone, `charon still lists SAs:\n${await gw.listSas()}\n${why()}`);
    assert.match(gw.log(400), /received DELETE for ESP CHILD_SA with SPI [0-9a-f]{8}/);
  } finally {
    mon.kill('SIGTERM');
    await client.stop();
    await gw.stop();
  }
});

test('strongSwan IKEv1 client behind the NAT -> esprit gateway: Main Mode PSK, Quick Mode, ping through the tunnel', {
  skip,
}, async () => {
  const l = scenario.lab;
  const gw = await IkeHost.start(l, 'gw', conf('gw', 'aes256-sha256, aes128-sha1'));
  const ss = await StrongSwanHost.start(l, 'client', conf('client', 'aes256-sha256'));
  try {
    const r = await ss.initiate('net', 'v1');
    const why = () => `--- charon ---\n${ss.log(200)}\n--- esprit ---\n${gw.proc.stderr.slice(-6000)}`;
    assert.equal(r.code, 0, `swanctl --initiate failed:\n${r.stdout}${r.stderr}\n${why()}`);
    const [gs] = await gw.listSas();
    assert.ok(gs, why());
    assert.equal(gs.state, 'established');
    assert.equal(gs.initiator, false);
    assert.equal(gs.remoteBehindNat, true);
    assert.equal(gs.remote.address, LAB.natWan.v4);
    assert.equal(gs.remoteId, 'client-v1.lab');
    const child = gs.children[0];
    assert.ok(child, why());
    assert.deepEqual([child.name, child.encap, child.algorithms], ['net', true, 'AES_CBC-256/HMAC_SHA2_256_128']);
    assert.deepEqual(child.remoteTs, ['10.99.4.1/32']);
    await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4, 10);
    const p = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 5 });
    assert.equal(p.received, 5, p.output);
  } finally {
    await ss.stop();
    await gw.stop();
  }
});
