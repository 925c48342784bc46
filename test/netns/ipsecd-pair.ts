import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LAB, type Lab, type LabProcess } from './harness.js';

/**
 * The two-daemon setup of the ipsecd system tests (ipsecd-smoke, ipsecd-udp-io): `esprit
 * ipsecd` in the lab's client and gw, keyed only through PF_KEY by `esprit setkey -f`, with
 * RFC 3948 UDP encapsulation on port 4500 through the lab's NAT:
 *
 *   client (ipsecd, TUN esp0, lo 10.99.4.1) ── nat ── gw (ipsecd, TUN esp0, lo 10.99.3.1)
 *
 *   const pair = spawnIpsecdPair(lab, ['--udp-io', 'mmsg']);   ipsecd in client and gw
 *   await pairReady(pair);                                     both said "ipsecd: ready"
 *   await keyNatTunnel(lab, { spiClientToGw, spiGwToClient, keyClientToGw, keyGwToClient });
 *   await statusJson(lab, 'gw');                               `esprit status --json`, parsed
 *
 * Each daemon's sockets are `${lab.tmp}/${role}-{pfkey,ctl,ike}.sock` (sockPath).
 */

/** dist/src/cli/main.js (this file runs from dist/test/netns/). */
export const MAIN = resolve(import.meta.dirname, '../../src/cli/main.js');

export interface IpsecdPair {
  readonly client: LabProcess;
  readonly gw: LabProcess;
}

/** One of `role`'s daemon sockets: `what` is pfkey, ctl or ike. */
export function sockPath(lab: Lab, role: string, what: string): string {
  return join(lab.tmp, `${role}-${what}.sock`);
}

/** Wait (up to 10 s) for "ipsecd: ready" on stderr; fails with the stderr seen otherwise. */
export async function waitReady(p: LabProcess): Promise<void> {
  for (let i = 0; i < 200 && !p.stderr.includes('ipsecd: ready'); i++) {
    if (p.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(p.stderr.includes('ipsecd: ready'), `ipsecd not ready: ${p.stderr}`);
}

/** `esprit ipsecd` in `role` with TUN esp0, `route` into it, UDP 4500 only; `extra` after --no-raw-esp. */
export function startIpsecd(lab: Lab, role: 'client' | 'gw', route: string, extra: readonly string[]): LabProcess {
  return lab.spawn(role, [
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
    ...extra,
    '--pfkey-socket',
    sockPath(lab, role, 'pfkey'),
    '--control-socket',
    sockPath(lab, role, 'ctl'),
    '--ike-socket',
    sockPath(lab, role, 'ike'),
  ]);
}

/** ipsecd in client (route to the gw's 10.99.3.0/24) and in gw (route to the client's 10.99.4.0/24). */
export function spawnIpsecdPair(lab: Lab, extra: readonly string[]): IpsecdPair {
  return {
    client: startIpsecd(lab, 'client', '10.99.3.0/24', extra),
    gw: startIpsecd(lab, 'gw', '10.99.4.0/24', extra),
  };
}

/** waitReady on both daemons. */
export async function pairReady(pair: IpsecdPair): Promise<void> {
  await Promise.all([waitReady(pair.client), waitReady(pair.gw)]);
}

/** Write `script` to `${lab.tmp}/${role}.conf` and load it with `esprit setkey -f`; it must print nothing. */
export async function setkey(lab: Lab, role: 'client' | 'gw', script: string): Promise<void> {
  const file = join(lab.tmp, `${role}.conf`);
  writeFileSync(file, script);
  const r = await lab.exec(role, [
    process.execPath,
    MAIN,
    'setkey',
    '--socket',
    sockPath(lab, role, 'pfkey'),
    '-f',
    file,
  ]);
  assert.equal(r.stdout, '', `setkey ${role}: ${r.stdout}${r.stderr}`);
}

/** `esprit status --json` of `role`'s daemon, parsed (the caller types what it asserts on). */
export async function statusJson(lab: Lab, role: 'client' | 'gw'): Promise<unknown> {
  const st = await lab.exec(role, [
    process.execPath,
    MAIN,
    'status',
    '--json',
    '--control-socket',
    sockPath(lab, role, 'ctl'),
  ]);
  return JSON.parse(st.stdout) as unknown;
}

/** The SPIs and RFC 4106 AES-GCM-16 keys (`0x` + 16-byte key + 4-byte salt) of the tunnel's two SAs. */
export interface NatTunnelKeys {
  readonly spiClientToGw: number;
  readonly spiGwToClient: number;
  readonly keyClientToGw: string;
  readonly keyGwToClient: string;
}

/**
 * Key both ends (client first) for 10.99.4.0/24 ↔ 10.99.3.0/24 over UDP 4500, policies
 * `unique` by reqid (1: client → gw, 2: gw → client).
 */
export async function keyNatTunnel(lab: Lab, k: NatTunnelKeys): Promise<void> {
  const C = LAB.client.v4;
  const G = LAB.gw.v4;
  const NAT = LAB.natWan.v4;
  const up = `0x${k.spiClientToGw.toString(16)}`;
  const down = `0x${k.spiGwToClient.toString(16)}`;
  // client: behind the NAT, sends keepalives on its outbound SA
  await setkey(
    lab,
    'client',
    `add ${C}[4500] ${G}[4500] esp-udp ${up} -m tunnel -u 1 -n keepalive -E aes-gcm-16 ${k.keyClientToGw} ;
add ${G}[4500] ${C}[4500] esp-udp ${down} -m tunnel -u 2 -n none -E aes-gcm-16 ${k.keyGwToClient} ;
spdadd 10.99.4.0/24 10.99.3.0/24 any -P out ipsec esp/tunnel/${C}-${G}/unique:1 ;
spdadd 10.99.3.0/24 10.99.4.0/24 any -P in ipsec esp/tunnel/${G}-${C}/unique:2 ;
`,
  );
  // gateway: keyed with port 4500 for the NATed client; its inbound SA floats (the default)
  await setkey(
    lab,
    'gw',
    `add ${NAT}[4500] ${G}[4500] esp-udp ${up} -m tunnel -u 1 -E aes-gcm-16 ${k.keyClientToGw} ;
add ${G}[4500] ${NAT}[4500] esp-udp ${down} -m tunnel -u 2 -n none -E aes-gcm-16 ${k.keyGwToClient} ;
spdadd 10.99.4.0/24 10.99.3.0/24 any -P in ipsec esp/tunnel/${NAT}-${G}/unique:1 ;
spdadd 10.99.3.0/24 10.99.4.0/24 any -P out ipsec esp/tunnel/${G}-${NAT}/unique:2 ;
`,
  );
}
