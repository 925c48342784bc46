import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { type Issued, TestPki } from './pki.js';
import { useLab } from './scenario.js';
import { StrongSwanHost } from './strongswan-host.js';
import { ping, waitForPing } from './traffic.js';

// IKEv1 Main Mode with RSA signatures and X.509 certificates (RFC 2409 §5.1, RFC 4945) against
// strongSwan 5.9.8 (kernel-libipsec) through the lab NAT, certificates made by strongSwan's
// `pki` at test time (an ECDSA P-384 CA, RSA 2048 end entities with a DNS subjectAltName):
//  1. charon client (ID = its subject DN) -> esprit gateway (ID = FQDN), ping through
//  2. esprit client (ID = its subject DN) -> charon gateway (ID = FQDN), ping through
//  3. a client whose certificate is revoked by a CRL in the gateway's x509crl/ is refused
// Each side verifies the other's certificate up to the CA in x509ca/, the identity in it and
// the SIG payload (PKCS#1 v1.5 over HASH_I / HASH_R without DigestInfo).
const skip = requireScenarioSystem(['/usr/lib/ipsec/charon', 'swanctl', 'pki']);
const scenario = useLab('ike1crt-', { skip });

const CLIENT_DN = 'C=CH, O=esprit, CN=client.esprit.test';

const conf = (side: 'client' | 'gw', extraRemote = ''): string => `connections {
  v1 {
    version = 1
    ${side === 'client' ? `local_addrs = ${LAB.client.v4}\n    remote_addrs = ${LAB.gw.v4}` : `local_addrs = ${LAB.gw.v4}`}
    proposals = aes128-sha256-modp2048
    local {
      auth = pubkey
      certs = ${side}.crt
      id = ${side === 'client' ? `"${CLIENT_DN}"` : 'gw.esprit.test'}
    }
    remote {
      auth = pubkey
      id = ${side === 'client' ? 'gw.esprit.test' : `"${CLIENT_DN}"`}
      ${extraRemote}
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
`;

let pki: TestPki | undefined;
let gwCert: Issued | undefined;
let clientCert: Issued | undefined;

async function certs(): Promise<{ p: TestPki; gw: Issued; client: Issued }> {
  if (!pki) {
    pki = await TestPki.create(scenario.lab.tmp);
    gwCert = await pki.issue('gw.esprit.test', 'rsa', 2048);
    clientCert = await pki.issue('client.esprit.test', 'rsa', 2048);
  }
  assert.ok(pki && gwCert && clientCert);
  return { p: pki, gw: gwCert, client: clientCert };
}

test('strongSwan IKEv1 client (RSA certificate, DN identity) -> esprit gateway: Main Mode with signatures, ping through', {
  skip,
}, async () => {
  const l = scenario.lab;
  const c = await certs();
  const gw = await IkeHost.start(l, 'gw', conf('gw'), c.p.files(c.gw, 'gw'));
  const ss = await StrongSwanHost.start(l, 'client', conf('client'), c.p.files(c.client, 'client'));
  try {
    const r = await ss.initiate('net', 'v1');
    const why = () => `--- charon ---\n${ss.log(200)}\n--- esprit ---\n${gw.proc.stderr.slice(-6000)}`;
    assert.equal(r.code, 0, `swanctl --initiate failed:\n${r.stdout}${r.stderr}\n${why()}`);
    const [gs] = await gw.listSas();
    assert.ok(gs, why());
    assert.equal(gs.state, 'established');
    assert.equal(gs.remoteId, CLIENT_DN);
    assert.equal(gs.remoteBehindNat, true);
    // charon verified esprit's SIG with the RSA key of the certificate esprit sent (asked by its CR in MM5)
    assert.match(ss.log(400), /received end entity cert "C=CH, O=esprit, CN=gw\.esprit\.test"/, why());
    assert.match(ss.log(400), /authentication of 'gw\.esprit\.test' with RSA_EMSA_PKCS1_NULL successful/, why());
    assert.match(ss.log(400), /parsed ID_PROT response 0 \[ ID CERT SIG \]/, why());
    await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4, 10);
    const p = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 5 });
    assert.equal(p.received, 5, p.output);
  } finally {
    await ss.stop();
    await gw.stop();
  }
});

test('esprit IKEv1 client (RSA certificate, DN identity) -> strongSwan gateway: Main Mode with signatures, ping through', {
  skip,
}, async () => {
  const l = scenario.lab;
  const c = await certs();
  const ss = await StrongSwanHost.start(l, 'gw', conf('gw'), c.p.files(c.gw, 'gw'));
  const client = await IkeHost.start(l, 'client', conf('client'), c.p.files(c.client, 'client'));
  try {
    const up = await client.up('v1');
    const why = () => `--- esprit ---\n${client.proc.stderr.slice(-6000)}\n--- charon ---\n${ss.log(200)}`;
    assert.equal(up.code, 0, `esprit up failed: ${up.stdout}${up.stderr}\n${why()}`);
    const [cs] = await client.listSas();
    assert.ok(cs, why());
    assert.equal(cs.state, 'established');
    assert.equal(cs.remoteId, 'gw.esprit.test');
    assert.match(
      ss.log(400),
      /authentication of 'C=CH, O=esprit, CN=client\.esprit\.test' with RSA_EMSA_PKCS1_NULL successful/,
      why(),
    );
    assert.match(ss.log(400), /sending cert request for "C=CH, O=esprit, CN=esprit test CA"/, why());
    const sas = await ss.listSas();
    assert.match(sas, /v1: #\d+, ESTABLISHED, IKEv1/, sas);
    await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4, 10);
    const p = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 5 });
    assert.equal(p.received, 5, p.output);
  } finally {
    await client.stop();
    await ss.stop();
  }
});

test('IKEv1: a client certificate revoked by a CRL in the gateway x509crl/ is refused, nothing established', {
  skip,
}, async () => {
  const l = scenario.lab;
  const c = await certs();
  const crl = await c.p.crl([c.client]);
  const gw = await IkeHost.start(l, 'gw', conf('gw', 'revocation = strict'), {
    ...c.p.files(c.gw, 'gw'),
    'x509crl/ca.crl': crl,
  });
  const ss = await StrongSwanHost.start(l, 'client', conf('client'), c.p.files(c.client, 'client'));
  try {
    const r = await ss.initiate('net', 'v1');
    assert.notEqual(r.code, 0, 'the revoked certificate must not get in');
    assert.match(
      gw.proc.stderr,
      /certificate 'C=CH, O=esprit, CN=client\.esprit\.test' is revoked \(serial [0-9A-F]+\)/,
    );
    assert.equal((await gw.listSas()).length, 0);
  } finally {
    await ss.stop();
    await gw.stop();
  }
});

test('strongSwan IKEv1 client in Aggressive Mode with an RSA certificate -> esprit gateway: AM2 ID CERT CERTREQ SIG, AM3 CERT SIG, ping through', {
  skip,
}, async () => {
  const l = scenario.lab;
  const c = await certs();
  const aggr = (s: string) => s.replace('version = 1', 'version = 1\n    aggressive = yes');
  const gw = await IkeHost.start(l, 'gw', aggr(conf('gw')), c.p.files(c.gw, 'gw'));
  const ss = await StrongSwanHost.start(l, 'client', aggr(conf('client')), c.p.files(c.client, 'client'));
  try {
    const r = await ss.initiate('net', 'v1');
    const why = () => `--- charon ---\n${ss.log(200)}\n--- esprit ---\n${gw.proc.stderr.slice(-6000)}`;
    assert.equal(r.code, 0, `swanctl --initiate failed:\n${r.stdout}${r.stderr}\n${why()}`);
    const [gs] = await gw.listSas();
    assert.equal(gs?.state, 'established', why());
    assert.equal(gs?.remoteId, CLIENT_DN);
    assert.match(ss.log(400), /parsed AGGRESSIVE response 0 \[ SA KE No ID CERT CERTREQ SIG/, why());
    assert.match(ss.log(400), /authentication of 'gw\.esprit\.test' with RSA_EMSA_PKCS1_NULL successful/, why());
    // charon's AM3: its certificate (asked for by our CR in AM2), NAT-D and SIG_I
    assert.match(gw.proc.stderr, /parsed AGGRESSIVE request 0 \[ CERT NAT-D NAT-D SIG \]/, why());
    await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4, 10);
  } finally {
    await ss.stop();
    await gw.stop();
  }
});
