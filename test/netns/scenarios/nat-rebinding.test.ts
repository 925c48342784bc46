import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { ESPRIT_MAIN, pollFor, requireScenarioSystem, saBySpi } from './esprit-node.js';
import { keysAt, natTunnel, useLab } from './scenario.js';
import { KEYS } from './setkey-config.js';
import { natPublicPort, ping, sleep, waitForPing } from './traffic.js';

// Scenario 3: NAT rebinding. A steady ping runs through the tunnel; the NAT's conntrack table
// is flushed mid-flow, so the client's next ESP packet leaves from a new random public port.
// The gw (-n float) follows it after the first authenticated packet with the highest sequence
// number (RFC 3947 §7, RFC 7296 §2.23), reports SADB_X_NAT_T_NEW_MAPPING to PF_KEY listeners
// (seen with `esprit setkey -x`), and the replies flow again.
const skip = requireScenarioSystem();
const K = keysAt(KEYS, 0);
const scenario = useLab('rebind-', { skip });

function replySeqs(lines: readonly string[]): number[] {
  return lines.flatMap((l) => {
    const m = /icmp_seq=(\d+)/.exec(l);
    return m ? [Number(m[1])] : [];
  });
}

test('NAT rebinding mid-flow: traffic keeps flowing, the gw moves to the new port and reports NEW_MAPPING', {
  skip,
}, async () => {
  const l = scenario.lab;
  const { gw } = await scenario.startKeyedPair({ tunnel: natTunnel(K) });
  await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4);
  const oldPort = await natPublicPort(l, LAB.client.v4, 4500);
  assert.ok(oldPort !== undefined, 'the NAT mapped client:4500');
  assert.equal(saBySpi(await gw.sas(), K.gwToClient.spi)?.peer?.port, oldPort);

  // A PF_KEY listener on the gw (X_PROMISC): it prints every message the key engine sends.
  const watch = l.spawn('gw', [process.execPath, ESPRIT_MAIN, 'setkey', '--socket', gw.pfkeySocket, '-x']);
  const registered = await pollFor(async () => {
    const st = (await gw.status()) as { sockets?: { kind?: string; connections?: number }[] };
    const pf = st.sockets?.find((s) => s.kind === 'pfkey');
    return (pf?.connections ?? 0) >= 1 ? true : undefined;
  }, 5000);
  assert.ok(registered, 'setkey -x connected');

  // 5 pings/s for 6 s; flush the NAT after 1.5 s.
  const pinger = l.spawn('client', [
    'ping',
    '-n',
    '-i',
    '0.2',
    '-c',
    '30',
    '-W',
    '1',
    '-I',
    LAB.client.lan4,
    LAB.gw.protected4,
  ]);
  await sleep(1500);
  const before = replySeqs(pinger.lines);
  assert.ok(before.length > 0, 'replies before the flush');
  await l.flushConntrack();
  const flushedAfter = Math.max(...before);
  await pinger.exited;
  const after = replySeqs(pinger.lines).filter((s) => s > flushedAfter + 1);
  assert.ok(
    after.length >= 5,
    `replies keep coming after the flush (seq > ${flushedAfter + 1}): ${pinger.lines.join('\n')}`,
  );

  const newPort = await natPublicPort(l, LAB.client.v4, 4500);
  assert.ok(newPort !== undefined, 'the NAT has a fresh mapping');
  assert.notEqual(newPort, oldPort, 'masquerade random picked another public port');
  const sas = await gw.sas();
  assert.deepEqual(saBySpi(sas, K.clientToGw.spi)?.peer, { address: LAB.natWan.v4, port: newPort });
  assert.deepEqual(saBySpi(sas, K.gwToClient.spi)?.peer, { address: LAB.natWan.v4, port: newPort });
  const p = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 3 });
  assert.equal(p.received, 3, p.output);

  await watch.waitForLine(/X_NAT_T_NEW_MAPPING/, 5000);
  watch.kill('SIGINT');
  await watch.exited;
  const text = watch.lines.join('\n');
  const blocks = text.split(/(?=\d{4}-\d\d-\d\dT)/).filter((b) => /type=X_NAT_T_NEW_MAPPING/.test(b));
  assert.ok(blocks.length >= 1, text);
  assert.ok(
    blocks.some((b) => b.includes(String(newPort)) && b.includes(String(oldPort))),
    `a NEW_MAPPING names the old port ${oldPort} and the new port ${newPort}:\n${blocks.join('\n')}`,
  );
});
