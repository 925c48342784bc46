/**
 * `npm run demo`: esprit end to end in throw-away network namespaces, for a first look.
 *
 *   client ──── NAT (nftables masquerade, random ports) ──── gw
 *   10.99.1.2                10.99.2.1                       10.99.2.2
 *   virtual IP 10.99.100.1 ═══ IKEv2, ESP in UDP 4500 (RFC 3948) ═══ 10.99.3.0/24
 *
 * Builds the namespaces, starts `esprit start` in both from examples/demo/{client,gateway}.conf
 * (swanctl.conf syntax), runs `esprit up home` on the client (IKEv2 with PSK: NAT detected,
 * port float to 4500, a virtual IP from the gateway's pool), pings through the tunnel, prints
 * `esprit list-sas` of both ends and what a capture on the gw's public interface saw, then
 * removes everything (also on Ctrl-C and on failure). Needs root (namespaces, TUN devices).
 */
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { LAB, Lab, requireSystem } from './harness.js';
import { SCENARIO_TOOLS } from './scenarios/esprit-node.js';
import { IkeHost } from './scenarios/ike-host.js';
import { isLinkHousekeeping, ping, readCapture, summarize, waitForPing } from './scenarios/traffic.js';

const out = (s = ''): void => {
  process.stdout.write(`${s}\n`);
};
const indent = (text: string, pad = '    '): string =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => pad + l)
    .join('\n');

/** examples/demo/ (this file runs from dist/test/netns/) */
const EXAMPLES = resolve(import.meta.dirname, '../../../examples/demo');

let lab: Lab | undefined;
const hosts: IkeHost[] = [];
let tearingDown = false;

function teardownSync(): void {
  if (tearingDown) return;
  tearingDown = true;
  for (const h of hosts) h.proc.kill('SIGKILL');
  if (lab) {
    void lab.destroy(); // synchronous: kills the namespaces' processes, deletes them, removes the temp dir
    rmSync(lab.tmp, { recursive: true, force: true });
  }
}

async function demo(): Promise<void> {
  out('esprit demo: an IKEv2 VPN through a NAT, in throw-away network namespaces');
  out();
  out('  client ──── NAT (masquerade, random ports) ──── gw');
  out(`  ${LAB.client.v4.padEnd(14)}        ${LAB.natWan.v4.padEnd(28)}${LAB.gw.v4}`);
  out(`  virtual IP from the gw's pool  ═══ IKEv2 + ESP in UDP 4500 ═══  ${LAB.gw.protected4} (10.99.3.0/24)`);
  out();

  out('[1/5] Building the lab (3 network namespaces, nftables NAT) ...');
  lab = await Lab.create({ natPorts: 'random' });
  const l = lab;
  out(`      namespaces: ${l.names.join(', ')}`);

  const gwConf = readFileSync(`${EXAMPLES}/gateway.conf`, 'utf8');
  const clientConf = readFileSync(`${EXAMPLES}/client.conf`, 'utf8');
  out(
    "[2/5] Starting 'esprit start --config gateway.conf' in gw and 'esprit start --config client.conf' in client ...",
  );
  const cap = await l.capture('gw', 'eth0');
  const gw = await IkeHost.start(l, 'gw', gwConf);
  hosts.push(gw);
  const client = await IkeHost.start(l, 'client', clientConf);
  hosts.push(client);
  out(`      gw pid ${gw.proc.pid}, client pid ${client.proc.pid}: ready`);

  out("[3/5] 'esprit up home' on the client (IKE_SA_INIT, IKE_AUTH with PSK, CP, CHILD SA) ...");
  const up = await client.up('home');
  if (up.code !== 0) throw new Error(`esprit up failed: ${up.stderr}`);
  out(`      ${up.stdout.trim()}`);
  const [sa] = await client.listSas();
  const vip = sa?.vipsLocal[0];
  if (!vip) throw new Error('the client got no virtual IP');
  out(`      virtual IP ${vip}; NAT detected: client behind NAT = ${sa.localBehindNat}; IKE on UDP ${sa.local.port}`);

  out(`[4/5] Pinging ${LAB.gw.protected4} from ${vip} through the tunnel ...`);
  await waitForPing(l, 'client', vip, LAB.gw.protected4);
  const p = await ping(l, 'client', vip, LAB.gw.protected4, { count: 5 });
  out(`      ${p.received}/${p.transmitted} echo replies (after one warm-up ping)`);
  if (p.received === 0) throw new Error(`no echo replies through the tunnel:\n${p.output}`);

  out('[5/5] esprit list-sas of both ends:');
  for (const h of [client, gw]) {
    out();
    out(`  --- ${h.role} ---`);
    out(indent(await h.listSasText()));
  }
  for (const h of [client, gw]) await h.stop();
  const pkts = await readCapture(await cap.stop());
  const s = summarize(pkts);
  const ike500 = pkts.filter((q) => !isLinkHousekeeping(q) && (q.srcPort === 500 || q.dstPort === 500)).length;
  const ike4500 = s.other.filter((q) => q.srcPort === 4500 || q.dstPort === 4500).length;
  const rest = s.other.filter(
    (q) => !(q.srcPort === 4500 || q.dstPort === 4500 || q.srcPort === 500 || q.dstPort === 500),
  );
  out();
  out(`Capture on the gw's public interface (eth0), ${s.total} packets:`);
  out(`    IKE on UDP 500 (IKE_SA_INIT):           ${ike500}`);
  out(`    IKE on UDP 4500 (non-ESP marker):       ${ike4500}`);
  out(`    ESP in UDP 4500 (RFC 3948):             ${s.espInUdp}`);
  out(`    NAT-keepalives (0xFF):                  ${s.keepalives}`);
  out(`    ARP / IPv6 ND:                          ${s.housekeeping}`);
  out(`    anything else:                          ${rest.length}`);
  for (const q of rest.slice(0, 5)) out(`      #${q.n} ${q.protocols} ${q.src} -> ${q.dst}`);
  out();
  out(
    rest.length === 0 && s.espInUdp > 0
      ? 'Only IKE (500, then 4500) and encrypted ESP-in-UDP crossed the public side.'
      : 'Unexpected: see the packets listed above.',
  );
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      'esprit demo needs root (it creates network namespaces and TUN devices): npm run demo as root\n',
    );
    return 1;
  }
  let missing: string | undefined;
  try {
    missing = requireSystem(SCENARIO_TOOLS);
  } catch (e) {
    missing = (e as Error).message;
  }
  if (missing) {
    process.stderr.write(`esprit demo: ${missing} (Debian: iproute2 nftables conntrack tcpdump tshark iputils-ping)\n`);
    return 1;
  }
  const onSignal = (sig: NodeJS.Signals) => {
    process.stdout.write(`\n${sig}: tearing down the lab ...\n`);
    teardownSync();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await demo();
    return 0;
  } catch (e) {
    process.stderr.write(`\nesprit demo failed: ${(e as Error).message}\n`);
    for (const h of hosts)
      if (h.proc.stderr.trim()) process.stderr.write(`--- ${h.role} esprit stderr ---\n${h.proc.stderr}\n`);
    return 1;
  } finally {
    out();
    out('Tearing down (stopping esprit, deleting the namespaces) ...');
    await Promise.all(hosts.map((h) => h.stop().catch(() => undefined)));
    teardownSync();
    out('Done.');
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`esprit demo: ${String(e)}\n`);
    teardownSync();
    process.exit(1);
  },
);
