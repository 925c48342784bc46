import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeIkeMessage } from '../../../src/wire/ike/ike-decode.js';
import { LAB, run } from '../harness.js';
import { type BigCertChain, bigCertChain } from './big-cert-chain.js';
import { requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { certClientConf, certGwConf } from './ikev2-configs.js';
import { dropIpFragments, fragmentsDropped } from './ip-fragment-drop.js';
import { useLab } from './scenario.js';
import { StrongSwanHost } from './strongswan-host.js';
import { waitForPing } from './traffic.js';

// RFC 7383 IKE fragmentation through a NAT that drops IP fragments (ip-fragment-drop.ts: the
// lab's nat namespace gets an nftables rule, ahead of conntrack's defragmentation, dropping
// every IPv4 and IPv6 fragment). IKE_AUTH carries 4096-bit RSA chains (root CA -> intermediate CA -> end
// entity, made by strongSwan's `pki` at test time; each side sends its end-entity certificate
// and the intermediate, several KB), so it only gets through as RFC 7383 fragments of at most
// fragment_size = 1280 octets (esprit's and strongSwan's default):
//  1. esprit road warrior -> strongSwan 5.9.8 gateway
//  2. strongSwan road warrior -> esprit gateway
//  3. esprit -> esprit
// and the same setups with `fragmentation = no` on esprit's side must not come up, the NAT's
// fragment counter showing why.
const skip = requireScenarioSystem(['/usr/lib/ipsec/charon', 'swanctl', 'pki', 'nft']);
const scenario = useLab('ike2frag-', { skip, setup: dropIpFragments });

/** esprit's short retransmission schedule (1 + 1.8 + 3.24 s): a setup that cannot come up fails quickly. */
const QUICK = 'retransmit_timeout = 1\n  retransmit_tries = 2';
const gwConf = (o: { strongswan?: boolean; fragmentation?: 'yes' | 'no' }) =>
  certGwConf({ ...o, sendCert: 'always', fragmentation: o.fragmentation ?? 'yes' });
const clientConf = (o: { strongswan?: boolean; fragmentation?: 'yes' | 'no' }) =>
  certClientConf({ ...o, sendCert: 'always', fragmentation: o.fragmentation ?? 'yes', esprit: QUICK });

const certs = (): Promise<BigCertChain> => bigCertChain(scenario.lab.tmp);

interface WireFragment {
  src: string;
  number: number;
  total: number;
  /** the IKE message (the non-ESP marker removed) */
  ike: Uint8Array;
}

/** IKE_AUTH fragments in a capture: tshark's isakmp.frag.number/total and the UDP payload. */
async function skfOnWire(file: string): Promise<WireFragment[]> {
  const fields = ['ip.src', 'isakmp.exchangetype', 'isakmp.frag.number', 'isakmp.frag.total', 'udp.payload'];
  const r = await run(
    ['tshark', '-n', '-r', file, '-d', 'udp.port==4500,udpencap', '-T', 'fields', ...fields.flatMap((f) => ['-e', f])],
    {
      timeoutMs: 60_000,
    },
  );
  return r.stdout
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => f[1] === '35' && (f[2] ?? '') !== '')
    .map((f) => ({
      src: f[0] ?? '',
      number: Number(f[2]),
      total: Number(f[3]),
      ike: new Uint8Array(Buffer.from((f[4] ?? '').replace(/:/g, ''), 'hex')).subarray(4),
    }));
}

const SPLIT_ESPRIT = /splitting IKE message into (\d+) fragments/;
// charon message.c fragment(): "splitting IKE message (%zu bytes) into %hu fragments"
const SPLIT_CHARON = /splitting IKE message \((\d+) bytes\) into (\d+) fragments/;

test('esprit road warrior -> strongSwan gateway: IKE_AUTH with 4096-bit chains only as RFC 7383 fragments', {
  skip,
}, async () => {
  const l = scenario.lab;
  const c = await certs();
  const before = await fragmentsDropped(l);
  const ss = await StrongSwanHost.start(l, 'gw', gwConf({ strongswan: true }), c.p.files(c.gw, 'gw'));
  const client = await IkeHost.start(l, 'client', clientConf({}), c.p.files(c.client, 'client'));
  try {
    const up = await client.up('home');
    assert.equal(up.code, 0, `esprit up: ${up.stderr}\n--- esprit\n${client.proc.stderr}\n--- charon\n${ss.log()}`);
    const [cs] = await client.listSas();
    assert.equal(cs?.state, 'established');
    assert.match(client.proc.stderr, SPLIT_ESPRIT, 'esprit fragmented its IKE_AUTH request');
    const charon = ss.log(400);
    // strongSwan 5.9.8 sends only its end-entity certificate (about 2 KB with AUTH): 2 fragments
    const m = SPLIT_CHARON.exec(charon);
    assert.ok(m && Number(m[1]) > 1280 && Number(m[2]) >= 2, `charon fragmented its IKE_AUTH response:\n${charon}`);
    assert.match(charon, /received end entity cert "C=CH, O=esprit, CN=client\.esprit\.test"/);
    assert.match(charon, /received issuer cert "C=CH, O=esprit, CN=esprit test intermediate CA"/);
    await waitForPing(l, 'client', cs?.vipsLocal[0] ?? '', LAB.gw.protected4);
    assert.equal(await fragmentsDropped(l), before, 'no IP fragment was sent');
  } finally {
    await client.stop();
    await ss.stop();
  }
});

test('strongSwan road warrior -> esprit gateway: IKE_AUTH with 4096-bit chains only as RFC 7383 fragments', {
  skip,
}, async () => {
  const l = scenario.lab;
  const c = await certs();
  const before = await fragmentsDropped(l);
  const gw = await IkeHost.start(l, 'gw', gwConf({}), c.p.files(c.gw, 'gw'));
  const ss = await StrongSwanHost.start(l, 'client', clientConf({ strongswan: true }), c.p.files(c.client, 'client'));
  const cap = await l.capture('gw', 'eth0', 'udp port 4500');
  try {
    const r = await ss.initiate('net', 'home');
    assert.equal(
      r.code,
      0,
      `swanctl --initiate:\n${r.stdout}${r.stderr}\n--- charon\n${ss.log()}\n--- esprit\n${gw.proc.stderr}`,
    );
    const [gs] = await gw.listSas();
    assert.equal(gs?.state, 'established');
    assert.equal(gs?.remoteId, 'client.esprit.test');
    const charon = ss.log(400);
    assert.match(charon, SPLIT_CHARON, 'charon fragmented its IKE_AUTH request');
    assert.match(gw.proc.stderr, SPLIT_ESPRIT, 'esprit fragmented its IKE_AUTH response');
    assert.match(charon, /received issuer cert "C=CH, O=esprit, CN=esprit test intermediate CA"/);
    assert.match(charon, /authentication of 'gw\.esprit\.test' with RSA\S* successful/);
    await waitForPing(l, 'client', gs?.vipsRemote[0] ?? '', LAB.gw.protected4);
    assert.equal(await fragmentsDropped(l), before, 'no IP fragment was sent');
    // The SKF bytes on the wire, charon's and ours, as tshark's isakmp dissector reads them and
    // as our decoder does: the same Fragment Number / Total Fragments, numbered 1..total.
    const frags = await skfOnWire(await cap.stop());
    for (const from of [LAB.natWan.v4, LAB.gw.v4]) {
      const mine = frags.filter((f) => f.src === from);
      const total = mine[0]?.total ?? 0;
      assert.ok(total >= 2, `fragments from ${from}: ${JSON.stringify(frags)}`);
      assert.deepEqual(
        mine.map((f) => [f.number, f.total]),
        mine.map((_, k) => [k + 1, total]),
      );
      for (const f of mine) {
        const m = decodeIkeMessage(f.ike);
        const p = m.payloads.at(-1);
        assert.ok(p?.kind === 'SKF' && m.header.exchangeType === 35);
        assert.equal(p.fragmentNumber, f.number);
        assert.equal(p.totalFragments, f.total);
        assert.equal(p.firstInner, f.number === 1 ? 35 + (from === LAB.gw.v4 ? 1 : 0) : 0, 'IDi / IDr first');
        assert.ok(f.ike.length + 4 + 8 + 20 <= 1280, `a datagram of ${f.ike.length + 32} octets`);
      }
    }
  } finally {
    await cap.stop().catch(() => '');
    await ss.stop();
    await gw.stop();
  }
});

test('esprit -> esprit: IKE_AUTH with 4096-bit chains as RFC 7383 fragments both ways', { skip }, async () => {
  const l = scenario.lab;
  const c = await certs();
  const before = await fragmentsDropped(l);
  const gw = await IkeHost.start(l, 'gw', gwConf({}), c.p.files(c.gw, 'gw'));
  const client = await IkeHost.start(l, 'client', clientConf({}), c.p.files(c.client, 'client'));
  try {
    const up = await client.up('home');
    assert.equal(up.code, 0, `esprit up: ${up.stderr}\n--- client\n${client.proc.stderr}\n--- gw\n${gw.proc.stderr}`);
    assert.match(client.proc.stderr, SPLIT_ESPRIT);
    assert.match(gw.proc.stderr, SPLIT_ESPRIT);
    assert.match(gw.proc.stderr, /parsed IKE_AUTH request 1 \[ IDi N\(INIT_CONTACT\) CERT CERT /, 'the chain was sent');
    const [cs] = await client.listSas();
    assert.equal(cs?.state, 'established');
    await waitForPing(l, 'client', cs?.vipsLocal[0] ?? '', LAB.gw.protected4);
    assert.equal(await fragmentsDropped(l), before, 'no IP fragment was sent');
  } finally {
    await client.stop();
    await gw.stop();
  }
});

test('fragmentation = no: the same setups do not come up; the NAT dropped the IP fragments of IKE_AUTH', {
  skip,
}, async () => {
  const l = scenario.lab;
  const c = await certs();
  // esprit (fragmentation = no) -> strongSwan (yes): no N(FRAG_SUP) from us, so neither side fragments
  let before = await fragmentsDropped(l);
  const ss = await StrongSwanHost.start(l, 'gw', gwConf({ strongswan: true }), c.p.files(c.gw, 'gw'));
  let client = await IkeHost.start(l, 'client', clientConf({ fragmentation: 'no' }), c.p.files(c.client, 'client'));
  try {
    const up = await client.up('home');
    assert.notEqual(up.code, 0, 'esprit up must fail without IKE fragmentation');
    assert.doesNotMatch(client.proc.stderr, SPLIT_ESPRIT);
    assert.ok((await fragmentsDropped(l)) > before, 'the NAT dropped IP fragments');
  } finally {
    await client.stop();
    await ss.stop();
  }
  // esprit -> esprit, both fragmentation = no
  before = await fragmentsDropped(l);
  const gw = await IkeHost.start(l, 'gw', gwConf({ fragmentation: 'no' }), c.p.files(c.gw, 'gw'));
  client = await IkeHost.start(l, 'client', clientConf({ fragmentation: 'no' }), c.p.files(c.client, 'client'));
  try {
    const up = await client.up('home');
    assert.notEqual(up.code, 0, 'esprit up must fail without IKE fragmentation');
    assert.equal((await gw.listSas()).filter((s) => s.state === 'established').length, 0);
    assert.ok((await fragmentsDropped(l)) > before, 'the NAT dropped IP fragments');
  } finally {
    await client.stop();
    await gw.stop();
  }
});
