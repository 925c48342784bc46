import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { IpCommandError } from '../../src/io/errors.js';
import { addAddress, getLink, removeStaleTun, runIp } from '../../src/io/netlink-ip.js';
import { type LabProcess, Netns, newPrefix, requireSystem } from './harness.js';

// System test: a TUN opened through the koffi binding inside a fresh namespace, answering
// ping with hand-built echo replies. Needs root, /dev/net/tun, iproute2 and ping.
const skip = requireSystem(['ip', 'ping', '/dev/net/tun']);
const TUN_ECHO = fileURLToPath(new URL('./fixtures/tun-echo.js', import.meta.url));

let ns: Netns | undefined;
let fixture: LabProcess | undefined;

function theNs(): Netns {
  assert.ok(ns, 'namespace was not created');
  return ns;
}

interface Echo {
  echo: { family: number; id: number; seq: number; written: boolean };
}

function echoes(p: LabProcess, family: number): Echo['echo'][] {
  return p
    .json()
    .filter((x): x is Echo => typeof x === 'object' && x !== null && 'echo' in x)
    .map((x) => x.echo)
    .filter((e) => e.family === family);
}

before(async () => {
  if (skip) return;
  ns = await Netns.create(`${newPrefix()}tun`);
});

after(() => {
  fixture?.kill('SIGKILL');
  ns?.destroySync();
});

test('ping through a TUN answered by esprit-io: v4 and v6', { skip }, async () => {
  const n = theNs();
  fixture = n.spawn([process.execPath, TUN_ECHO, 'tun0']);
  const ready = JSON.parse(await fixture.waitForLine(/"ready"/)) as { ready: { name: string; stale: boolean } };
  assert.equal(ready.ready.name, 'tun0');
  assert.equal(ready.ready.stale, false);

  const link = await getLink('tun0', { netns: n.name });
  assert.ok(link);
  assert.equal(link.kind, 'tun');
  assert.equal(link.mtu, 1400);
  assert.equal(link.up, true);

  const p4 = await n.exec(['ping', '-c3', '-i0.2', '-W2', '10.99.8.1']);
  assert.match(p4.stdout, /3 packets transmitted, 3 received/);
  const p6 = await n.exec(['ping', '-6', '-c3', '-i0.2', '-W2', 'fd99:8::1']);
  assert.match(p6.stdout, /3 packets transmitted, 3 received/);

  const e4 = echoes(fixture, 4);
  const e6 = echoes(fixture, 6);
  assert.deepEqual(
    e4.map((e) => [e.seq, e.written]),
    [
      [1, true],
      [2, true],
      [3, true],
    ],
  );
  assert.deepEqual(
    e6.map((e) => [e.seq, e.written]),
    [
      [1, true],
      [2, true],
      [3, true],
    ],
  );

  fixture.write('stats');
  const stats = JSON.parse(await fixture.waitForLine(/"stats"/)) as {
    stats: { txPackets: number; txErrors: number; rxFull: number };
  };
  assert.equal(stats.stats.txPackets, 6);
  assert.equal(stats.stats.txErrors, 0);
  assert.equal(stats.stats.rxFull, 0);
});

test('after SIGKILL of the owner, the non-persistent TUN disappears', { skip }, async () => {
  const n = theNs();
  assert.ok(fixture);
  fixture.kill('SIGKILL');
  const { signal } = await fixture.exited;
  assert.equal(signal, 'SIGKILL');
  // The kernel unregisters the device when the last fd is released; allow it a moment.
  let link = await getLink('tun0', { netns: n.name });
  for (let i = 0; i < 40 && link; i++) {
    await new Promise((r) => setTimeout(r, 50));
    link = await getLink('tun0', { netns: n.name });
  }
  assert.equal(link, undefined);
});

test('removeStaleTun deletes a leftover persistent TUN and refuses other kinds', { skip }, async () => {
  const n = theNs();
  const opts = { netns: n.name };
  await runIp(['tuntap', 'add', 'dev', 'stale0', 'mode', 'tun'], opts);
  assert.equal((await getLink('stale0', opts))?.kind, 'tun');
  assert.equal(await removeStaleTun('stale0', opts), true);
  assert.equal(await getLink('stale0', opts), undefined);
  assert.equal(await removeStaleTun('stale0', opts), false);
  await assert.rejects(removeStaleTun('lo', opts), (e: unknown) => e instanceof IpCommandError && e.reason === 'other');
});

test('ip helpers report typed failures', { skip }, async () => {
  const opts = { netns: theNs().name };
  await assert.rejects(
    addAddress('nosuch0', '10.99.7.9/32', opts),
    (e: unknown) => e instanceof IpCommandError && e.reason === 'no-device',
  );
  await addAddress('lo', '10.99.7.9/32', opts);
  await assert.rejects(
    addAddress('lo', '10.99.7.9/32', opts),
    (e: unknown) => e instanceof IpCommandError && e.reason === 'exists',
  );
});

test('a second fixture finds and removes a stale tun0 held by nobody', { skip }, async () => {
  const n = theNs();
  await runIp(['tuntap', 'add', 'dev', 'tun0', 'mode', 'tun'], { netns: n.name });
  const again = n.spawn([process.execPath, TUN_ECHO, 'tun0']);
  const ready = JSON.parse(await again.waitForLine(/"ready"/)) as { ready: { stale: boolean } };
  assert.equal(ready.ready.stale, true);
  const p4 = await n.exec(['ping', '-c1', '-W2', '10.99.8.1']);
  assert.match(p4.stdout, /1 received/);
  again.kill('SIGKILL');
  await again.exited;
});

test('IFF_MULTI_QUEUE: two queues on one device, each with its own reader, answer pings', { skip }, async () => {
  const n = theNs();
  const mq = n.spawn([process.execPath, TUN_ECHO, 'mq0', '2']);
  try {
    await mq.waitForLine(/"ready"/);
    const detail = await runIp(['-d', 'link', 'show', 'dev', 'mq0'], { netns: n.name });
    assert.match(detail, /multi_queue/);
    // Several flows (one per ping id) so the kernel can spread them over the queues.
    for (let i = 0; i < 4; i++) {
      const p = await n.exec(['ping', '-c2', '-i0.2', '-W2', `10.99.8.${i + 1}`]);
      assert.match(p.stdout, /2 received/);
    }
    mq.write('stats');
    const stats = JSON.parse(await mq.waitForLine(/"stats"/)) as { queues: Array<{ txPackets: number }> };
    assert.equal(stats.queues.length, 2);
    assert.equal(
      stats.queues.reduce((a, q) => a + q.txPackets, 0),
      8,
      'every echo request was answered on the queue that read it',
    );
  } finally {
    mq.kill('SIGKILL');
    await mq.exited;
  }
});
