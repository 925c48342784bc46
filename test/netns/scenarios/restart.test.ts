import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LAB, Lab, newPrefix } from '../harness.js';
import { EspritNode, type EspritNodeOptions, requireScenarioSystem, stopAll } from './esprit-node.js';
import { KEYS, tunnelPair } from './setkey-config.js';
import { ping, waitForPing } from './traffic.js';

// Scenario 6: crash and restart. Both ipsecd are SIGKILLed (no cleanup code runs): the kernel
// must have removed their TUN devices and the routes on them (a non-persistent TUN dies with
// its last file descriptor). Both restart with the same socket paths (the stale socket files
// are still there), fresh SAs are loaded with `esprit setkey -f`, and the first ping passes.
// Fresh keys and SPIs, as an IKE daemon would negotiate: re-adding the old ones would restart
// the sequence numbers under the same AES-GCM key (RFC 4106 §3.1 forbids nonce reuse) and the
// peer's replay window would drop them.
const skip = requireScenarioSystem();
const K1 = KEYS[0];
const K2 = KEYS[1];

let lab: Lab | undefined;
const nodes: EspritNode[] = [];

before(async () => {
  if (skip) return;
  lab = await Lab.create({ prefix: `${newPrefix()}restart-`, natPorts: 'random' });
});

after(async () => {
  await stopAll(nodes);
  await lab?.destroy();
});

const CLIENT: EspritNodeOptions = { routes: ['10.99.3.0/24'] };
const GW: EspritNodeOptions = { routes: [`${LAB.client.lan4}/32`] };

function configs(keys: NonNullable<typeof K1>): { client: string; gw: string } {
  return tunnelPair({
    keys,
    client: LAB.client.v4,
    gw: LAB.gw.v4,
    clientSeenByGw: LAB.natWan.v4,
    clientPort: 4500,
    gwPort: 4500,
    framing: 'rfc3948',
    behindNat: true,
    selectors: [[`${LAB.client.lan4}/32`, '10.99.3.0/24']],
  });
}

test('SIGKILL and restart: no stale TUN or routes, the restart succeeds, new SAs work at once', { skip }, async () => {
  assert.ok(lab && K1 && K2, 'lab was not created');
  const l = lab;
  const [client, gw] = await Promise.all([EspritNode.start(l, 'client', CLIENT), EspritNode.start(l, 'gw', GW)]);
  nodes.push(client, gw);
  const first = configs(K1);
  await client.setkey(first.client);
  await gw.setkey(first.gw);
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
    EspritNode.startIn(l, 'client', client.dir, CLIENT),
    EspritNode.startIn(l, 'gw', gw.dir, GW),
  ]);
  nodes.push(client2, gw2);
  const second = configs(K2);
  await client2.setkey(second.client, 'setkey-2.conf');
  await gw2.setkey(second.gw, 'setkey-2.conf');
  const p = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 3 });
  assert.equal(p.received, 3, `the first pings after the restart pass:\n${p.output}`);
  assert.equal((await l.exec('client', ['ip', '-o', 'link', 'show', 'esp0'])).code, 0);
});
