import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import {
  type BenchReport,
  defaultOptions,
  exitCode,
  formatMarkdown,
  type ResultRow,
  runTunnelBench,
} from '../../bench/tunnel/run.js';
import { CHARON, StrongSwanTunnel } from '../../bench/tunnel/strongswan.js';
import { LAB, Lab, requireSystem } from './harness.js';

// System test: the tunnel benchmark's short mode (bench/tunnel/run.ts) over the plain NAT path,
// strongSwan kernel-libipsec and esprit's tunnel. It asserts that every path produced a positive
// throughput and a well-formed row, never how fast anything was.
const skip = requireSystem(['ip', 'nft', 'conntrack', 'ping', 'iperf3', 'swanctl', 'unshare', CHARON, '/dev/net/tun']);

function row(r: BenchReport, path: string, t: string): ResultRow {
  const x = r.rows.find((y) => y.path === path && y.test === t);
  assert.ok(x, `no row ${path}/${t}`);
  return x;
}

test('bench:tunnel --short: plain, strongswan and esprit measured, rows well formed', { skip }, async () => {
  const lines: string[] = [];
  const opts = defaultOptions(true);
  const report = await runTunnelBench({ ...opts, log: (l) => lines.push(l) });
  const tests = ['tcp', ...opts.udp.map((u) => `udp-${u.rate}-${u.len}`)];
  assert.equal(report.rows.length, 3 * tests.length);

  for (const path of ['plain', 'strongswan', 'esprit']) {
    for (const t of tests) {
      const x = row(report, path, t);
      assert.equal(x.status, 'ok', `${path}/${t}: ${x.note ?? ''} ${lines.join('\n')}`);
      assert.equal(x.reps, 1);
      assert.equal(x.failures, 0, x.note);
      assert.equal(x.samples.length, 1);
      assert.ok(x.gbps > 0, `${path}/${t} Gbit/s ${x.gbps}`);
      assert.ok(x.pps > 0, `${path}/${t} pkt/s ${x.pps}`);
      assert.ok(Number.isFinite(x.cpuSecPerGbTotal) && x.cpuSecPerGbTotal > 0, `${path}/${t} CPU/GB`);
      assert.ok(x.cpuSecPerGbTotal >= x.cpuSecPerGbTunnel);
      assert.ok(x.machineBusy >= 0 && x.machineBusy <= 1);
      assert.ok(x.lossOrRetransmits >= 0, `${path}/${t} loss/retransmits ${x.lossOrRetransmits}`);
      assert.equal(x.vsPlain !== undefined && x.vsStrongswan !== undefined, true);
    }
  }
  // the plain path has no tunnel process; strongSwan's two charons did the ESP work
  assert.equal(row(report, 'plain', 'tcp').cpuSecPerGbTunnel, 0);
  assert.ok(row(report, 'strongswan', 'tcp').cpuSecPerGbTunnel > 0);
  // ratios are against the row's own path: exactly 1
  assert.equal(row(report, 'plain', 'tcp').vsPlain, 1);
  assert.equal(row(report, 'strongswan', 'tcp').vsStrongswan, 1);

  // esprit's two ipsecd processes did its ESP work
  assert.ok(row(report, 'esprit', 'tcp').cpuSecPerGbTunnel > 0);
  assert.equal(exitCode(report, []), 0);
  assert.equal(exitCode(report, ['esprit']), 0);

  const md = formatMarkdown(report).split('\n');
  for (const path of ['plain', 'strongswan', 'esprit']) {
    const l = md.find((x) => x.startsWith(`| ${path} | tcp | `));
    assert.ok(l, `markdown row for ${path}`);
    // | path | test | Gbit/s | kpkt/s | CPU s/GB tunnel | CPU s/GB total | × strongSwan | × plain | loss/retr | busy | runs |
    const cells = l.split('|').map((c) => c.trim());
    assert.equal(cells.length, 13);
    assert.match(cells[3] ?? '', /^\d+\.\d{3}$/);
    assert.match(cells[4] ?? '', /^\d+\.\d$/);
  }
});

test('strongSwan tunnel: up, down and up again in one lab; teardown ends both charons', { skip }, async () => {
  const lab = await Lab.create({ natPorts: 'random' });
  try {
    const tun = new StrongSwanTunnel();
    const seen: number[] = [];
    for (let round = 0; round < 2; round++) {
      const ep = await tun.setup(lab); // resolves only after a ping through the tunnel
      assert.equal(ep.serverAddress, LAB.gw.protected4);
      assert.equal(ep.bindAddress, LAB.client.lan4);
      assert.equal(ep.pids.length, 2);
      for (const pid of ep.pids) assert.ok(existsSync(`/proc/${pid}`), `charon ${pid} running`);
      const ping = await lab.exec('client', ['ping', '-c2', '-i0.2', '-W2', '-I', LAB.client.lan4, LAB.gw.protected4]);
      assert.match(ping.stdout, /2 packets transmitted, 2 received/);
      // the gw saw the client through the NAT: ESP-in-UDP on 4500 (RFC 3948)
      const gw = tun.charons[0];
      assert.ok(gw);
      const sas = await gw.swanctl('--list-sas');
      assert.match(sas.stdout, /INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-128/);
      assert.match(sas.stdout, new RegExp(`remote 'client.bench' @ ${LAB.natWan.v4.replaceAll('.', '\\.')}\\[\\d+\\]`));
      await tun.teardown();
      for (const pid of ep.pids) assert.equal(existsSync(`/proc/${pid}`), false, `charon ${pid} stopped`);
      seen.push(...ep.pids);
    }
    assert.equal(new Set(seen).size, 4);
  } finally {
    await lab.destroy();
  }
});
