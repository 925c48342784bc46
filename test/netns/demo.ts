/**
 * `npm run demo`: esprit end to end in throw-away network namespaces, for a first look.
 *
 *   client ──── NAT (nftables masquerade, random ports) ──── gw
 *   10.99.1.2                10.99.2.1                       10.99.2.2
 *   inner 10.99.4.1 ═══ ESP in UDP 4500 (RFC 3948), AES-GCM-128 ═══ inner 10.99.3.1
 *
 * Builds the namespaces, starts two `esprit ipsecd`, loads static keys with `esprit setkey -f`,
 * pings through the tunnel, waits for a NAT-keepalive, prints `esprit status` of both ends and
 * what a capture on the gw's public interface saw, then removes everything (also on Ctrl-C and
 * on failure). Needs root (namespaces, TUN devices).
 */
import { rmSync } from 'node:fs';
import { LAB, Lab, requireSystem } from './harness.js';
import { type EspritNode, pollFor, SCENARIO_TOOLS, statusNumber } from './scenarios/esprit-node.js';
import { loadKeys, natTunnel, startPair } from './scenarios/scenario.js';
import { KEYS } from './scenarios/setkey-config.js';
import { ping, readCapture, summarize, waitForPing } from './scenarios/traffic.js';

const out = (s = ''): void => {
  process.stdout.write(`${s}\n`);
};
const indent = (text: string, pad = '    '): string =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => pad + l)
    .join('\n');

let lab: Lab | undefined;
const nodes: EspritNode[] = [];
let tearingDown = false;

function teardownSync(): void {
  if (tearingDown) return;
  tearingDown = true;
  for (const n of nodes) n.proc.kill('SIGKILL');
  if (lab) {
    void lab.destroy(); // synchronous: kills the namespaces' processes, deletes them, removes the temp dir
    rmSync(lab.tmp, { recursive: true, force: true });
  }
}

async function demo(): Promise<void> {
  const K = KEYS[0];
  if (!K) throw new Error('no keys');
  out('esprit demo: a userland IPsec tunnel through a NAT, in throw-away network namespaces');
  out();
  out('  client ──── NAT (masquerade, random ports) ──── gw');
  out(`  ${LAB.client.v4.padEnd(14)}        ${LAB.natWan.v4.padEnd(28)}${LAB.gw.v4}`);
  out(`  inner ${LAB.client.lan4}  ═══ ESP in UDP 4500, AES-GCM-128 ═══  inner ${LAB.gw.protected4}`);
  out();

  out('[1/6] Building the lab (3 network namespaces, nftables NAT) ...');
  lab = await Lab.create({ natPorts: 'random' });
  const l = lab;
  out(`      namespaces: ${l.names.join(', ')}`);

  out("[2/6] Starting 'esprit ipsecd' in client and gw (TUN esp0, UDP 500/4500) ...");
  const cap = await l.capture('gw', 'eth0');
  const pair = await startPair(l, { client: { keepaliveInterval: 2 } }, nodes);
  const { client, gw } = pair;
  out(`      client ipsecd pid ${client.pid}, gw ipsecd pid ${gw.pid}: ready`);

  out("[3/6] Loading static keys with 'esprit setkey -f' on both ends ...");
  const cfg = await loadKeys(pair, natTunnel(K));
  out('      client setkey.conf (-n keepalive: behind the NAT; the gw uses -n float and');
  out(`      starts with the NAT's address and port 4500, then follows the real mapping):`);
  out(indent(cfg.client, '        '));

  out(`[4/6] Pinging ${LAB.gw.protected4} from ${LAB.client.lan4} through the tunnel ...`);
  await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4);
  const p = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 5 });
  out(`      ${p.received}/${p.transmitted} echo replies (after one warm-up ping)`);
  if (p.received === 0) throw new Error(`no echo replies through the tunnel:\n${p.output}`);

  out('[5/6] Idling until the client sends a NAT-keepalive (interval 2 s) ...');
  const ka = await pollFor(async () => {
    const n = statusNumber(await gw.status(), 'keepalivesIn') ?? 0;
    return n > 0 ? n : undefined;
  }, 12_000);
  out(
    ka === undefined
      ? '      no keepalive reached the gw within 12 s'
      : `      the gw received ${ka} keepalive(s) through the NAT`,
  );

  out('[6/6] Status of both ends (esprit status):');
  for (const n of [client, gw]) {
    out();
    out(`  --- ${n.role} ---`);
    out(indent(await n.statusText()));
  }
  const s = summarize(await readCapture(await cap.stop()));
  out();
  out(`Capture on the gw's public interface (eth0), ${s.total} packets:`);
  out(`    ESP in UDP 4500 (RFC 3948):   ${s.espInUdp}`);
  out(`    NAT-keepalives (0xFF):        ${s.keepalives}`);
  out(`    ARP / IPv6 ND:                ${s.housekeeping}`);
  out(`    anything else:                ${s.other.length}`);
  for (const q of s.other.slice(0, 5)) out(`      #${q.n} ${q.protocols} ${q.src} -> ${q.dst}`);
  out();
  out(
    s.other.length === 0 && s.espInUdp > 0
      ? 'Only encrypted ESP-in-UDP crossed the public side.'
      : 'Unexpected: see the packets listed above.',
  );
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('esprit demo needs root (it creates network namespaces and TUN devices): sudo npm run demo\n');
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
    for (const n of nodes)
      if (n.proc.stderr.trim()) process.stderr.write(`--- ${n.role} ipsecd stderr ---\n${n.proc.stderr}\n`);
    return 1;
  } finally {
    out();
    out('Tearing down (stopping ipsecd, deleting the namespaces) ...');
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
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
