import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runGatewayBench } from '../../bench/tunnel/gateway.js';
import { requireSystem } from './harness.js';

// System test: the tunnel benchmark's gateway mode (bench/tunnel/gateway.ts), short: four
// clients behind the NAT, each with its own ipsecd, one TCP flow each to one gateway ipsecd,
// one repetition of 2 s, with one gateway ipsecd, with two (the SAs split between them) and
// with one on two data-plane threads. It asserts that every flow carried data through its
// tunnel and the row is well formed, never how fast anything was.
const skip = requireSystem(['ip', 'nft', 'conntrack', 'ping', 'iperf3', '/dev/net/tun']);

for (const [gwProcs, gwThreads] of [
  [1, 1],
  [2, 1],
  [1, 2],
] as const) {
  test(`bench:gateway short: 4 clients, 4 flows through 4 SA pairs to ${gwProcs} gateway ipsecd, ${gwThreads} data-plane thread(s) each`, {
    skip,
  }, async () => {
    const lines: string[] = [];
    const r = await runGatewayBench({
      clients: 4,
      gwProcs,
      gwThreads,
      reps: 1,
      seconds: 2,
      gwArgs: [],
      log: (l) => lines.push(l),
    });
    assert.equal(r.samples.length, 1, lines.join('\n'));
    const s = r.samples[0];
    assert.ok(s);
    assert.equal(s.flows.length, 4);
    for (const [k, f] of s.flows.entries()) assert.ok(f > 0, `flow ${k + 1}: ${f} Gbit/s`);
    assert.ok(Math.abs(s.gbps - s.flows.reduce((a, b) => a + b, 0)) < 1e-9);
    // both ends did ESP work: the gateway opened every flow, the clients sealed them
    assert.ok(s.cpuGw > 0 && s.cpuClients > 0, `gw ${s.cpuGw} s, clients ${s.cpuClients} s`);
    assert.ok(s.machineBusy >= 0 && s.machineBusy <= 1);
    assert.match(r.markdown, /^### Gateway mode: 4 clients, 4 TCP flows/);
    assert.match(r.markdown, new RegExp(`data-plane threads each: ${gwThreads};`));
    assert.equal(r.markdown.split('\n').filter((l) => /^\| \d/.test(l)).length, 1);
  });
}
