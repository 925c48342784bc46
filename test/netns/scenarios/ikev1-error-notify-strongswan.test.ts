import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pollFor, requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { ikev1Conf } from './ikev1-configs.js';
import { useLab } from './scenario.js';
import { StrongSwanHost } from './strongswan-host.js';

// Refusals with their error notify (RFC 2408 §3.14.1, §4.8) between esprit and strongSwan 5.9.8
// through the lab NAT, both directions: phase 1 with no proposal in common (an unprotected
// Informational), and Quick Mode with no ESP transform in common (an encrypted one). The
// initiator fails on the notify instead of retransmitting until it times out.
const skip = requireScenarioSystem(['/usr/lib/ipsec/charon', 'swanctl']);
const scenario = useLab('ike1err-', { skip });

const PSK = 'esprit-ikev1-error-0123456789';
const conf = (side: 'client' | 'gw', ike: string, esp: string): string =>
  ikev1Conf(side, { psk: PSK, proposals: ike, esp });

test('charon client -> esprit gateway: no IKE proposal in common, then no ESP transform in common: charon receives NO_PROPOSAL_CHOSEN each time and fails without retransmitting', {
  skip,
}, async () => {
  const l = scenario.lab;
  const gw = await IkeHost.start(l, 'gw', conf('gw', '3des-md5-modp1024', 'aes256-sha256'));
  const ss = await StrongSwanHost.start(l, 'client', conf('client', 'aes128-sha256-modp2048', 'aes128-sha1'));
  try {
    const why = () => `--- charon ---\n${ss.log(200)}\n--- esprit ---\n${gw.proc.stderr.slice(-6000)}`;
    const r = await ss.initiate('net', 'v1');
    assert.notEqual(r.code, 0, why());
    assert.match(ss.log(300), /received NO_PROPOSAL_CHOSEN error notify/, why());
    assert.doesNotMatch(ss.log(300), /retransmit 1 of request/, why());
    assert.match(gw.proc.stderr, /generating INFORMATIONAL_V1 request \d+ \[ N\(NO_PROP\) \]/);
  } finally {
    await ss.stop();
    await gw.stop();
  }
  // phase 1 agrees, Quick Mode does not
  const gw2 = await IkeHost.start(l, 'gw', conf('gw', 'aes128-sha256-modp2048', 'aes256-sha256'));
  const ss2 = await StrongSwanHost.start(l, 'client', conf('client', 'aes128-sha256-modp2048', 'aes128-sha1'));
  try {
    const why = () => `--- charon ---\n${ss2.log(200)}\n--- esprit ---\n${gw2.proc.stderr.slice(-6000)}`;
    const r = await ss2.initiate('net', 'v1');
    assert.notEqual(r.code, 0, why());
    assert.match(ss2.log(300), /parsed INFORMATIONAL_V1 request \d+ \[ HASH N\(NO_PROP\) \]/, why());
    assert.match(ss2.log(300), /received NO_PROPOSAL_CHOSEN error notify/, why());
    assert.doesNotMatch(ss2.log(300), /retransmit 1 of request/, why());
    const [sa] = await gw2.listSas();
    assert.equal(sa?.state, 'established', 'the ISAKMP SA stays');
  } finally {
    await ss2.stop();
    await gw2.stop();
  }
});

test('esprit client -> charon gateway: charon refuses phase 1, then Quick Mode; `esprit up` fails at once with the notify, `esprit monitor` shows it and no retransmission', {
  skip,
}, async () => {
  const l = scenario.lab;
  const ss = await StrongSwanHost.start(l, 'gw', conf('gw', '3des-md5-modp1024', 'aes256-sha256'));
  const client = await IkeHost.start(l, 'client', conf('client', 'aes128-sha256-modp2048', 'aes128-sha1'));
  const mon = client.monitor();
  await new Promise((r) => setTimeout(r, 1000));
  try {
    const why = () => `--- esprit ---\n${client.proc.stderr.slice(-6000)}\n--- charon ---\n${ss.log(200)}`;
    const up = await client.up('v1');
    assert.notEqual(up.code, 0, why());
    assert.match(up.stdout + up.stderr, /NO-PROPOSAL-CHOSEN/, why());
    const seen = await pollFor(
      async () =>
        mon.lines.some((x) => /"kind":"auth-failed".*"notify":"NO-PROPOSAL-CHOSEN"/.test(x)) ? true : undefined,
      5_000,
    );
    assert.ok(seen, `no auth-failed event:\n${mon.lines.join('\n')}`);
    assert.ok(!mon.lines.some((x) => /"kind":"retransmit"/.test(x)), mon.lines.join('\n'));
  } finally {
    mon.kill('SIGTERM');
    await client.stop();
    await ss.stop();
  }
  const ss2 = await StrongSwanHost.start(l, 'gw', conf('gw', 'aes128-sha256-modp2048', 'aes256-sha256'));
  const client2 = await IkeHost.start(l, 'client', conf('client', 'aes128-sha256-modp2048', 'aes128-sha1'));
  const mon2 = client2.monitor();
  await new Promise((r) => setTimeout(r, 1000));
  try {
    const why = () => `--- esprit ---\n${client2.proc.stderr.slice(-6000)}\n--- charon ---\n${ss2.log(200)}`;
    const up = await client2.up('v1');
    assert.notEqual(up.code, 0, why());
    assert.match(up.stdout + up.stderr, /NO-PROPOSAL-CHOSEN: refused by the peer/, why());
    const seen = await pollFor(
      async () =>
        mon2.lines.some((x) => /"kind":"auth-failed".*"notify":"NO-PROPOSAL-CHOSEN".*Quick Mode for net/.test(x))
          ? true
          : undefined,
      5_000,
    );
    assert.ok(seen, `no auth-failed event:\n${mon2.lines.join('\n')}`);
    assert.ok(!mon2.lines.some((x) => /"kind":"retransmit"/.test(x)), mon2.lines.join('\n'));
    const [sa] = await client2.listSas();
    assert.equal(sa?.state, 'established', 'the ISAKMP SA stays');
  } finally {
    mon2.kill('SIGTERM');
    await client2.stop();
    await ss2.stop();
  }
});
