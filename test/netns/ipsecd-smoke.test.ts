/**
 * System test: two `esprit ipsecd` (client behind the NAT, gateway) keyed only through PF_KEY
 * by `esprit setkey -f`, RFC 3948 UDP encapsulation through a port-randomising NAT.
 *
 *   client (ipsecd, TUN esp0, lo 10.99.4.1) ── nat (masquerade random) ── gw (ipsecd, TUN esp0, lo 10.99.3.1)
 *
 * The client's SAs send keepalives (-n keepalive), the gateway's float (-n float): the
 * gateway is keyed with port 4500 for the client and must learn the NAT's real mapping from
 * the first authenticated packet. Checks: ping 10.99.3.1 from 10.99.4.1 through the tunnel;
 * `esprit status --json` on the gateway shows the client's SAs at the port conntrack on the
 * NAT reports (an independent oracle); SIGTERM removes the TUN.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LAB, Lab, requireSystem } from './harness.js';
import { type IpsecdPair, keyNatTunnel, pairReady, spawnIpsecdPair, statusJson } from './ipsecd-pair.js';

const skip = requireSystem(['ip', 'ping', 'nft', 'conntrack', '/dev/net/tun']);
// RFC 4106 AES-GCM-16 keying material: 16-byte key + 4-byte salt
const K1 = '0x000102030405060708090a0b0c0d0e0f10111213';
const K2 = '0x202122232425262728292a2b2c2d2e2f30313233';
const C = LAB.client.v4;
const G = LAB.gw.v4;
const NAT = LAB.natWan.v4;

let lab: Lab | undefined;
let daemons: IpsecdPair | undefined;

before(async () => {
  if (skip) return;
  lab = await Lab.create({ natPorts: 'random' });
  daemons = spawnIpsecdPair(lab, ['--keepalive-interval', '1', '--crypto', 'auto']);
  await pairReady(daemons);
  // client: behind the NAT, keepalives on its outbound SA; gateway: keyed with port 4500 for
  // the NATed client, its inbound SA floats (the default)
  await keyNatTunnel(lab, { spiClientToGw: 0x10001, spiGwToClient: 0x10002, keyClientToGw: K1, keyGwToClient: K2 });
});

after(async () => {
  await lab?.destroy();
});

interface DpSa {
  spi: string;
  direction: string;
  peer: { address: string; port: number };
  movedAt?: string;
  packets: number;
}

test('ping through the tunnel; the gateway floats to the NAT mapping conntrack reports; SIGTERM removes the TUN', {
  skip,
}, async () => {
  const l = lab as Lab;
  const ping = await l.exec(
    'client',
    ['ping', '-c', '3', '-i', '0.2', '-W', '2', '-I', LAB.client.lan4, LAB.gw.protected4],
    { allowFail: true },
  );
  assert.match(ping.stdout, /[1-3] received/, ping.stdout);

  // the NAT's mapping of client:4500, from conntrack's reply tuple (independent of esprit)
  const ct = await l.exec('nat', ['conntrack', '-L', '-p', 'udp', '--orig-src', C, '--orig-port-src', '4500']);
  // reply tuple: src=gw dst=NAT sport=4500 dport=<the mapped port>
  const m = new RegExp(`src=${G} dst=${NAT} sport=4500 dport=(\\d+)`).exec(ct.stdout);
  assert.ok(m, `no conntrack entry: ${ct.stdout}`);
  const mapped = Number(m[1]);

  const dp = ((await statusJson(l, 'gw')) as { dataplane: { sas: DpSa[]; totals: Record<string, number> } }).dataplane;
  const inbound = dp.sas.find((s) => s.spi === '00010001' && s.direction === 'in');
  const outbound = dp.sas.find((s) => s.spi === '00010002' && s.direction === 'out');
  assert.deepEqual(inbound?.peer, { address: NAT, port: mapped }, 'inbound SA floated to the mapping');
  assert.deepEqual(outbound?.peer, { address: NAT, port: mapped }, 'the outbound SA followed');
  assert.ok(inbound?.movedAt, 'movedAt is shown');
  assert.ok((inbound?.packets ?? 0) >= 1 && (outbound?.packets ?? 0) >= 1);

  const gw = (daemons as IpsecdPair).gw;
  gw.kill('SIGTERM');
  const ex = await gw.exited;
  assert.equal(ex.code, 0, gw.stderr);
  const link = await l.exec('gw', ['ip', 'link', 'show', 'esp0'], { allowFail: true });
  assert.match(`${link.stdout}${link.stderr}`, /does not exist/);
});
