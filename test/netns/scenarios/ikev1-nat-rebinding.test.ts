import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { pollFor, requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { ikev1Conf } from './ikev1-configs.js';
import { useLab } from './scenario.js';
import { natPublicPort, ping, sleep, waitForPing } from './traffic.js';

// IKEv1 NAT rebinding (RFC 3947 §4, docs/ikev1.md "NAT rebinding"): esprit client behind the
// lab NAT -> esprit gateway, RFC 3947 NAT-T on 4500. A ping runs through the tunnel and the
// NAT's conntrack table is flushed mid-flow, so the client's next datagrams leave from a new
// random public port. ipsecd on the gateway follows the ESP (float) and reports
// X_NAT_T_NEW_MAPPING; the IKEv1 engine moves the ISAKMP SA and the CHILD SA to the new port
// (as it does for an authenticated IKE message from there), so IKE (DPD every 2 s) and ESP
// both keep working.
const skip = requireScenarioSystem();
const scenario = useLab('ike1nr-', { skip });

const PSK = 'esprit-ikev1-rebinding-0123456789';
const conf = (side: 'client' | 'gw'): string => ikev1Conf(side, { psk: PSK, ike: 'dpd_delay = 2s' });

const replySeqs = (lines: readonly string[]): number[] =>
  lines.flatMap((l) => {
    const m = /icmp_seq=(\d+)/.exec(l);
    return m ? [Number(m[1])] : [];
  });

test('NAT rebinding mid-flow: the esprit gateway moves the ISAKMP SA and the CHILD SA to the new NAT port, ping and DPD continue', {
  skip,
}, async (t) => {
  const l = scenario.lab;
  const gw = await IkeHost.start(l, 'gw', conf('gw'));
  const client = await IkeHost.start(l, 'client', conf('client'));
  const why = () => `--- client ---\n${client.proc.stderr.slice(-5000)}\n--- gw ---\n${gw.proc.stderr.slice(-8000)}`;
  try {
    const up = await client.up('v1');
    assert.equal(up.code, 0, `esprit up failed: ${up.stdout}${up.stderr}\n${why()}`);
    await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4, 10);
    const oldPort = await natPublicPort(l, LAB.client.v4, 4500);
    assert.ok(oldPort !== undefined, 'the NAT mapped client:4500');
    const [g0] = await gw.listSas();
    assert.equal(g0?.remote.port, oldPort, why());

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
    assert.ok(after.length >= 5, `replies keep coming after the flush: ${pinger.lines.join('\n')}\n${why()}`);

    const newPort = await natPublicPort(l, LAB.client.v4, 4500);
    assert.ok(newPort !== undefined && newPort !== oldPort, `a new NAT mapping: ${oldPort} -> ${newPort}`);
    const moved = await pollFor(async () => {
      const [g] = await gw.listSas();
      return g?.remote.port === newPort ? g : undefined;
    }, 5000);
    assert.ok(moved, `the ISAKMP SA follows to ${newPort}:\n${JSON.stringify(await gw.listSas())}\n${why()}`);
    assert.equal(moved.remote.address, LAB.natWan.v4);
    assert.equal(moved.children[0]?.encapPorts?.remote, newPort, JSON.stringify(moved));
    const line = new RegExp(
      `mapping-changed v1\\[#\\d+\\] ${LAB.natWan.v4}:${oldPort} -> ${LAB.natWan.v4}:${newPort} \\(.*\\)`,
    ).exec(gw.proc.stderr);
    assert.ok(line, why());
    // which moved it first: ipsecd's NEW_MAPPING for ESP, or an authenticated IKE message (DPD)
    t.diagnostic(line[0]);
    // DPD (every 2 s from the client) is answered on the new mapping: the client keeps its SA
    await sleep(5000);
    const [c] = await client.listSas();
    assert.equal(c?.state, 'established', why());
    assert.doesNotMatch(client.proc.stderr, /DPD: no answer/, why());
    const p = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 3 });
    assert.equal(p.received, 3, p.output);
  } finally {
    await client.stop();
    await gw.stop();
  }
});
