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
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { LAB, Lab, type LabProcess, requireSystem } from './harness.js';

const skip = requireSystem(['ip', 'ping', 'nft', 'conntrack', '/dev/net/tun']);
const MAIN = resolve(import.meta.dirname, '../../src/cli/main.js');
// RFC 4106 AES-GCM-16 keying material: 16-byte key + 4-byte salt
const K1 = '0x000102030405060708090a0b0c0d0e0f10111213';
const K2 = '0x202122232425262728292a2b2c2d2e2f30313233';
const C = LAB.client.v4;
const G = LAB.gw.v4;
const NAT = LAB.natWan.v4;

let lab: Lab | undefined;
const daemons: Partial<Record<'client' | 'gw', LabProcess>> = {};

function sock(role: string, what: string): string {
  return join((lab as Lab).tmp, `${role}-${what}.sock`);
}

async function ready(p: LabProcess): Promise<void> {
  for (let i = 0; i < 200 && !p.stderr.includes('ipsecd: ready'); i++) {
    if (p.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(p.stderr.includes('ipsecd: ready'), `ipsecd not ready: ${p.stderr}`);
}

function startIpsecd(role: 'client' | 'gw', route: string): LabProcess {
  return (lab as Lab).spawn(role, [
    process.execPath,
    MAIN,
    'ipsecd',
    '--tun',
    'esp0',
    '--route',
    route,
    '--listen',
    '0.0.0.0:4500',
    '--no-raw-esp',
    '--keepalive-interval',
    '1',
    '--crypto',
    'auto',
    '--pfkey-socket',
    sock(role, 'pfkey'),
    '--control-socket',
    sock(role, 'ctl'),
    '--ike-socket',
    sock(role, 'ike'),
  ]);
}

async function setkey(role: 'client' | 'gw', script: string): Promise<void> {
  const file = join((lab as Lab).tmp, `${role}.conf`);
  writeFileSync(file, script);
  const r = await (lab as Lab).exec(role, [
    process.execPath,
    MAIN,
    'setkey',
    '--socket',
    sock(role, 'pfkey'),
    '-f',
    file,
  ]);
  assert.equal(r.stdout, '', `setkey ${role}: ${r.stdout}${r.stderr}`);
}

before(async () => {
  if (skip) return;
  lab = await Lab.create({ natPorts: 'random' });
  daemons.client = startIpsecd('client', '10.99.3.0/24');
  daemons.gw = startIpsecd('gw', '10.99.4.0/24');
  await Promise.all([ready(daemons.client), ready(daemons.gw)]);
  // client: behind the NAT, sends keepalives on its outbound SA
  await setkey(
    'client',
    `add ${C}[4500] ${G}[4500] esp-udp 0x10001 -m tunnel -u 1 -n keepalive -E aes-gcm-16 ${K1} ;
add ${G}[4500] ${C}[4500] esp-udp 0x10002 -m tunnel -u 2 -n none -E aes-gcm-16 ${K2} ;
spdadd 10.99.4.0/24 10.99.3.0/24 any -P out ipsec esp/tunnel/${C}-${G}/unique:1 ;
spdadd 10.99.3.0/24 10.99.4.0/24 any -P in ipsec esp/tunnel/${G}-${C}/unique:2 ;
`,
  );
  // gateway: keyed with port 4500 for the NATed client; its inbound SA floats (the default)
  await setkey(
    'gw',
    `add ${NAT}[4500] ${G}[4500] esp-udp 0x10001 -m tunnel -u 1 -E aes-gcm-16 ${K1} ;
add ${G}[4500] ${NAT}[4500] esp-udp 0x10002 -m tunnel -u 2 -n none -E aes-gcm-16 ${K2} ;
spdadd 10.99.4.0/24 10.99.3.0/24 any -P in ipsec esp/tunnel/${NAT}-${G}/unique:1 ;
spdadd 10.99.3.0/24 10.99.4.0/24 any -P out ipsec esp/tunnel/${G}-${NAT}/unique:2 ;
`,
  );
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

  const st = await l.exec('gw', [process.execPath, MAIN, 'status', '--json', '--control-socket', sock('gw', 'ctl')]);
  const dp = (JSON.parse(st.stdout) as { dataplane: { sas: DpSa[]; totals: Record<string, number> } }).dataplane;
  const inbound = dp.sas.find((s) => s.spi === '00010001' && s.direction === 'in');
  const outbound = dp.sas.find((s) => s.spi === '00010002' && s.direction === 'out');
  assert.deepEqual(inbound?.peer, { address: NAT, port: mapped }, 'inbound SA floated to the mapping');
  assert.deepEqual(outbound?.peer, { address: NAT, port: mapped }, 'the outbound SA followed');
  assert.ok(inbound?.movedAt, 'movedAt is shown');
  assert.ok((inbound?.packets ?? 0) >= 1 && (outbound?.packets ?? 0) >= 1);

  const gw = daemons.gw as LabProcess;
  gw.kill('SIGTERM');
  const ex = await gw.exited;
  assert.equal(ex.code, 0, gw.stderr);
  const link = await l.exec('gw', ['ip', 'link', 'show', 'esp0'], { allowFail: true });
  assert.match(`${link.stdout}${link.stderr}`, /does not exist/);
});
