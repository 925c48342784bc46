import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { EspritNode, requireScenarioSystem } from './esprit-node.js';
import { CLIENT_NODE, GW_NODE, keysAt, loadKeys, natTunnel, useLab } from './scenario.js';
import { KEYS } from './setkey-config.js';
import { ping, waitForPing } from './traffic.js';

// Scenario 6: crash and restart. Both ipsecd are SIGKILLed (no cleanup code runs): the kernel
// must have removed their TUN devices and the routes on them (a non-persistent TUN dies with
// its last file descriptor). Both restart with the same socket paths (the stale socket files
// are still there), fresh SAs are loaded with `esprit setkey -f`, and the first ping passes.
// Fresh keys and SPIs, as an IKE daemon would negotiate: re-adding the old ones would restart
// the sequence numbers under the same AES-GCM key (RFC 4106 §3.1 forbids nonce reuse) and the
// peer's replay window would drop them.
const skip = requireScenarioSystem();
const K1 = keysAt(KEYS, 0);
const K2 = keysAt(KEYS, 1);
const scenario = useLab('restart-', { skip });

test('SIGKILL and restart: no stale TUN or routes, the restart succeeds, new SAs work at once', { skip }, async () => {
  const l = scenario.lab;
  const { client, gw } = await scenario.startKeyedPair({ tunnel: natTunnel(K1) });
  await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4);
  assert.match((await l.exec('client', ['ip', 'route', 'show'])).stdout, /10\.99\.3\.0\/24 dev esp0/);
  assert.match((await l.exec('gw', ['ip', 'route', 'show'])).stdout, /10\.99\.4\.1 dev esp0/);

  await Promise.all([client.kill(), gw.kill()]);
  for (const role of ['client', 'gw'] as const) {
    const link = await l.exec(role, ['ip', '-o', 'link', 'show'], { allowFail: true });
    assert.doesNotMatch(link.stdout, /esp0/, `${role}: the TUN is gone after SIGKILL`);
    const routes = await l.exec(role, ['ip', 'route', 'show']);
    assert.doesNotMatch(routes.stdout, /esp0/, `${role}: no route on a dead TUN`);
    const routes6 = await l.exec(role, ['ip', '-6', 'route', 'show']);
    assert.doesNotMatch(routes6.stdout, /esp0/, `${role}: no IPv6 route on a dead TUN`);
  }
  const down = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 1, waitS: 1 });
  assert.equal(down.received, 0, 'no tunnel, no echo');

  // Same socket directory: the stale pfkey.sock / control.sock files are still there.
  const [client2, gw2] = await Promise.all([
    EspritNode.startIn(l, 'client', client.dir, CLIENT_NODE),
    EspritNode.startIn(l, 'gw', gw.dir, GW_NODE),
  ]);
  scenario.nodes.push(client2, gw2);
  await loadKeys({ client: client2, gw: gw2 }, natTunnel(K2), 'setkey-2.conf');
  const p = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 3 });
  assert.equal(p.received, 3, `the first pings after the restart pass:\n${p.output}`);
  assert.equal((await l.exec('client', ['ip', '-o', 'link', 'show', 'esp0'])).code, 0);
});
