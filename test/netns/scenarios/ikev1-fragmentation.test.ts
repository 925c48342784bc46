import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { type BigCertChain, bigCertChain } from './big-cert-chain.js';
import { requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { dropIpFragments, fragmentsDropped } from './ip-fragment-drop.js';
import { useLab } from './scenario.js';
import { StrongSwanHost } from './strongswan-host.js';
import { ping, waitForPing } from './traffic.js';

// Cisco IKE fragmentation (ISAKMP payload 132) in IKEv1 Main Mode with RSA certificates,
// against strongSwan 5.9.8 through a lab NAT that drops IP fragments (ip-fragment-drop.ts).
// MM5 and MM6 carry 4096-bit chains (root CA -> intermediate CA -> end entity, strongSwan's
// `pki`; esprit sends its end-entity certificate and the intermediate, several KB), so they
// only get through as IKE fragments of at most fragment_size = 1280 octets (both defaults):
//  1. esprit client -> strongSwan gateway
//  2. strongSwan client -> esprit gateway
//  3. strongSwan client -> esprit gateway in Aggressive Mode (AM2 and AM3 fragmented)
//  4. with `fragmentation = no` on esprit's side it must not come up, the NAT's fragment
//     counter showing why.
const skip = requireScenarioSystem(['/usr/lib/ipsec/charon', 'swanctl', 'pki', 'nft']);
const scenario = useLab('ike1frag-', { skip, setup: dropIpFragments });

const conf = (side: 'client' | 'gw', o: { fragmentation?: string; esprit?: string } = {}): string => `connections {
  v1 {
    version = 1
    ${side === 'client' ? `local_addrs = ${LAB.client.v4}\n    remote_addrs = ${LAB.gw.v4}` : `local_addrs = ${LAB.gw.v4}`}
    proposals = aes128-sha256-modp2048
    fragmentation = ${o.fragmentation ?? 'yes'}
    send_cert = always
    local {
      auth = pubkey
      certs = ${side}.crt
      id = ${side}.esprit.test
    }
    remote {
      auth = pubkey
      id = ${side === 'client' ? 'gw' : 'client'}.esprit.test
    }
    children {
      net {
        local_ts = ${side === 'client' ? '10.99.4.1/32' : '10.99.3.0/24'}
        remote_ts = ${side === 'client' ? '10.99.3.0/24' : '10.99.4.1/32'}
        esp_proposals = aes128-sha256
      }
    }
  }
}
${o.esprit ? `esprit {\n  ${o.esprit}\n}` : ''}
`;

/** esprit's short retransmission schedule: a setup that cannot come up fails quickly. */
const QUICK = 'retransmit_timeout = 1\n  retransmit_tries = 2';

const certs = (): Promise<BigCertChain> => bigCertChain(scenario.lab.tmp);

const SPLIT_ESPRIT = /splitting IKEv1 message \((\d+) bytes\) into (\d+) fragments/;
// charon message.c: "splitting IKE message (%zu bytes) into %hu fragments", add_fragment_v1:
// "received fragment #%hhu, reassembled fragmented IKE message (%zu bytes)"
const SPLIT_CHARON = /splitting IKE message \((\d+) bytes\) into (\d+) fragments/;
const JOINED_CHARON = /reassembled fragmented IKE message \((\d+) bytes\)/;

test('esprit IKEv1 client -> strongSwan gateway: MM5/MM6 with 4096-bit chains only as Cisco IKE fragments', {
  skip,
}, async () => {
  const l = scenario.lab;
  const c = await certs();
  const before = await fragmentsDropped(l);
  const ss = await StrongSwanHost.start(l, 'gw', conf('gw'), c.p.files(c.gw, 'gw'));
  const client = await IkeHost.start(l, 'client', conf('client'), c.p.files(c.client, 'client'));
  try {
    const up = await client.up('v1');
    const why = () => `--- esprit ---\n${client.proc.stderr.slice(-8000)}\n--- charon ---\n${ss.log(300)}`;
    assert.equal(up.code, 0, `esprit up failed: ${up.stdout}${up.stderr}\n${why()}`);
    const [cs] = await client.listSas();
    assert.equal(cs?.state, 'established', why());
    const mine = SPLIT_ESPRIT.exec(client.proc.stderr);
    assert.ok(mine && Number(mine[1]) > 1248 && Number(mine[2]) >= 3, `esprit fragmented MM5:\n${why()}`);
    const charon = ss.log(400);
    const joined = JOINED_CHARON.exec(charon);
    assert.ok(joined && joined[1] === mine[1], `charon reassembled esprit's ${mine[1]} bytes:\n${why()}`);
    assert.match(charon, /received issuer cert "C=CH, O=esprit, CN=esprit test intermediate CA"/);
    const theirs = SPLIT_CHARON.exec(charon);
    assert.ok(theirs && Number(theirs[2]) >= 2, `charon fragmented MM6:\n${why()}`);
    assert.match(client.proc.stderr, new RegExp(`reassembled a fragmented IKEv1 message \\(${theirs[1]} octets\\)`));
    await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4, 10);
    assert.equal((await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 3 })).received, 3);
    assert.equal(await fragmentsDropped(l), before, 'no IP fragment was sent');
  } finally {
    await client.stop();
    await ss.stop();
  }
});

test('strongSwan IKEv1 client -> esprit gateway: MM5/MM6 with 4096-bit chains only as Cisco IKE fragments', {
  skip,
}, async () => {
  const l = scenario.lab;
  const c = await certs();
  const before = await fragmentsDropped(l);
  const gw = await IkeHost.start(l, 'gw', conf('gw'), c.p.files(c.gw, 'gw'));
  const ss = await StrongSwanHost.start(l, 'client', conf('client'), c.p.files(c.client, 'client'));
  try {
    const r = await ss.initiate('net', 'v1');
    const why = () => `--- charon ---\n${ss.log(300)}\n--- esprit ---\n${gw.proc.stderr.slice(-8000)}`;
    assert.equal(r.code, 0, `swanctl --initiate failed:\n${r.stdout}${r.stderr}\n${why()}`);
    const [gs] = await gw.listSas();
    assert.equal(gs?.state, 'established', why());
    assert.equal(gs?.remoteId, 'client.esprit.test');
    const charon = ss.log(400);
    const theirs = SPLIT_CHARON.exec(charon);
    assert.ok(theirs, `charon fragmented MM5:\n${why()}`);
    assert.match(gw.proc.stderr, new RegExp(`reassembled a fragmented IKEv1 message \\(${theirs[1]} octets\\)`));
    const mine = SPLIT_ESPRIT.exec(gw.proc.stderr);
    assert.ok(mine, `esprit fragmented MM6:\n${why()}`);
    assert.equal(JOINED_CHARON.exec(charon)?.[1], mine[1], 'charon reassembled esprit MM6');
    await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4, 10);
    assert.equal(await fragmentsDropped(l), before, 'no IP fragment was sent');
  } finally {
    await ss.stop();
    await gw.stop();
  }
});

test('strongSwan IKEv1 client in Aggressive Mode -> esprit gateway: AM2 and AM3 with 4096-bit chains only as Cisco IKE fragments', {
  skip,
}, async () => {
  const l = scenario.lab;
  const c = await certs();
  const before = await fragmentsDropped(l);
  const aggr = (x: string) => x.replace('version = 1', 'version = 1\n    aggressive = yes');
  const gw = await IkeHost.start(l, 'gw', aggr(conf('gw')), c.p.files(c.gw, 'gw'));
  const ss = await StrongSwanHost.start(l, 'client', aggr(conf('client')), c.p.files(c.client, 'client'));
  try {
    const r = await ss.initiate('net', 'v1');
    const why = () => `--- charon ---\n${ss.log(300)}\n--- esprit ---\n${gw.proc.stderr.slice(-8000)}`;
    assert.equal(r.code, 0, `swanctl --initiate failed:\n${r.stdout}${r.stderr}\n${why()}`);
    assert.equal((await gw.listSas())[0]?.state, 'established', why());
    const charon = ss.log(400);
    // AM2 (SA KE Nr IDir CERT CERT CR SIG ...) from esprit, fragments with exchange AGGRESSIVE
    const mine = SPLIT_ESPRIT.exec(gw.proc.stderr);
    assert.ok(mine, `esprit fragmented AM2:\n${why()}`);
    assert.match(charon, /parsed AGGRESSIVE response 0 \[ FRAG\(1\) \]/, why());
    assert.equal(JOINED_CHARON.exec(charon)?.[1], mine[1], 'charon reassembled esprit AM2');
    const theirs = SPLIT_CHARON.exec(charon);
    assert.ok(theirs, `charon fragmented AM3:\n${why()}`);
    assert.match(gw.proc.stderr, new RegExp(`reassembled a fragmented IKEv1 message \\(${theirs[1]} octets\\)`));
    await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4, 10);
    assert.equal(await fragmentsDropped(l), before, 'no IP fragment was sent');
  } finally {
    await ss.stop();
    await gw.stop();
  }
});

test('fragmentation = no on the esprit client: MM5 goes as IP fragments, the NAT drops them, nothing comes up', {
  skip,
}, async () => {
  const l = scenario.lab;
  const c = await certs();
  const before = await fragmentsDropped(l);
  const ss = await StrongSwanHost.start(l, 'gw', conf('gw'), c.p.files(c.gw, 'gw'));
  const client = await IkeHost.start(
    l,
    'client',
    conf('client', { fragmentation: 'no', esprit: QUICK }),
    c.p.files(c.client, 'client'),
  );
  try {
    const up = await client.up('v1');
    assert.notEqual(up.code, 0, 'must not come up');
    assert.doesNotMatch(client.proc.stderr, SPLIT_ESPRIT);
    // no FRAGMENTATION VID from esprit, so charon does not announce or fragment either
    assert.doesNotMatch(ss.log(400), JOINED_CHARON);
    assert.ok((await fragmentsDropped(l)) > before, 'the NAT dropped IP fragments');
    assert.equal((await ss.listSas()).includes('ESTABLISHED'), false);
  } finally {
    await client.stop();
    await ss.stop();
  }
});
