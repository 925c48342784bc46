import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireScenarioSystem, statusNumber } from './esprit-node.js';
import { keysAt, natTunnel, pingBurstAndTcpPass, useLab } from './scenario.js';
import { KEYS } from './setkey-config.js';

// The fallbacks a machine without a C compiler runs (docs/dataplane.md §10.6, §10.8), on the
// real network: both ipsecd with ESPRIT_NATIVE=off, i.e. fd readiness from poll() on a libuv
// pool thread (io/fd-poller.ts), TUN offload checksums in JavaScript (dataplane/ones-sum.ts)
// and the koffi-only EVP calls. The same RFC 3948 tunnel through the NAT as rfc3948.test.ts.
const skip = requireScenarioSystem(['iperf3', 'python3']);
const K = keysAt(KEYS, 1);
const scenario = useLab('nnoff-', { skip });

test('ESPRIT_NATIVE=off: ping, TCP and a UDP burst pass on the pool-thread poller and JavaScript checksums', {
  skip,
}, async () => {
  const l = scenario.lab;
  const off = { env: { ESPRIT_NATIVE: 'off' } };
  const { client, gw } = await scenario.startKeyedPair({ client: off, gw: off, tunnel: natTunnel(K) });
  for (const n of [client, gw]) {
    assert.match(n.proc.stderr, /TUN offload checksums in JavaScript/);
    assert.doesNotMatch(n.proc.stderr, /with the native AEAD helper/);
  }
  await pingBurstAndTcpPass(l);
  // the JavaScript checksums verified the segments the gw merged (TUN GRO)
  assert.ok((statusNumber(await gw.status(), 'groMerged') ?? 0) > 0);
});
