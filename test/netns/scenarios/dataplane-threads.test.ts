import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DataplaneSa, dataplaneSas, requireScenarioSystem, statusNumber } from './esprit-node.js';
import { CLIENT_NODE, GW_NODE, keysAt, natTunnel, pingBurstAndTcpPass, useLab } from './scenario.js';
import { KEYS } from './setkey-config.js';

// `esprit ipsecd --dataplane-threads 2` on both ends (docs/dataplane.md §10.9): a worker
// thread reads the TUN and seals while the main thread decrypts, on the lab's RFC 3948
// tunnel through the NAT. The status of each end sums both threads: the outbound SA's
// packets were counted by the worker, the inbound SA's by the main thread.
const skip = requireScenarioSystem(['iperf3', 'python3']);
const K = keysAt(KEYS, 1);
const scenario = useLab('dpthr-', { skip });

test('two data-plane threads: ping, a UDP burst byte for byte and TCP through the NAT; status sums both threads; SIGTERM exits 0', {
  skip,
}, async () => {
  const l = scenario.lab;
  const two = ['--dataplane-threads', '2'];
  const { client, gw } = await scenario.startKeyedPair({
    client: { ...CLIENT_NODE, extraArgs: two },
    gw: { ...GW_NODE, extraArgs: two },
    tunnel: natTunnel(K),
  });
  for (const n of [client, gw]) assert.match(n.proc.stderr, /sealing thread started \(crypto evp, native helper\)/);
  await pingBurstAndTcpPass(l);
  for (const n of [client, gw]) {
    const st = await n.status();
    assert.equal(statusNumber(st, 'threads'), 2);
    const sas: readonly DataplaneSa[] = dataplaneSas(st);
    const out = sas.filter((s) => s.direction === 'out');
    const inb = sas.filter((s) => s.direction === 'in');
    assert.equal(out.length, 1, `one outbound SA line (the worker's): ${JSON.stringify(sas)}`);
    assert.equal(inb.length, 1, `one inbound SA line (the main thread's): ${JSON.stringify(sas)}`);
    assert.ok((out[0]?.packets ?? 0) > 100, 'the worker sealed the pings and the burst or the ACKs');
    assert.ok((inb[0]?.packets ?? 0) > 5);
    assert.ok((statusNumber(st, 'tunIn') ?? 0) > 0, "the worker's TUN reads are summed in");
  }
  // the gw wrote merged UDP and TCP runs to its TUN (main thread), the client cut TSO frames (worker)
  assert.ok((statusNumber(await gw.status(), 'groMerged') ?? 0) > 0);
  for (const n of [client, gw]) {
    const exit = await n.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, `ipsecd closed both threads cleanly:\n${n.proc.stderr}`);
  }
});
