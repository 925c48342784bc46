import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { certClientConf, certGwConf } from './ikev2-configs.js';
import { type Issued, TestPki } from './pki.js';
import { useLab } from './scenario.js';
import { StrongSwanHost } from './strongswan-host.js';
import { waitForPing } from './traffic.js';

// Certificate authentication with strongSwan 5.9.8 through the lab NAT, certificates made by
// strongSwan's `pki` at test time (an ECDSA P-384 CA; RSA 2048 and ECDSA P-256 end entities):
//  1. strongSwan road warrior (ECDSA) -> esprit gateway (RSA)
//  2. esprit road warrior (ECDSA) -> strongSwan gateway (RSA)
// Each side verifies the other's chain up to the CA in x509ca/, the identity in the
// certificate's subjectAltName, and the RFC 7427 signature.
const skip = requireScenarioSystem(['/usr/lib/ipsec/charon', 'swanctl', 'pki']);
const scenario = useLab('ike2crt-', { skip });

let pki: TestPki | undefined;
let gwCert: Issued | undefined;
let clientCert: Issued | undefined;

async function certs(): Promise<{ p: TestPki; gw: Issued; client: Issued }> {
  if (!pki) {
    pki = await TestPki.create(scenario.lab.tmp);
    gwCert = await pki.issue('gw.esprit.test', 'rsa', 2048);
    clientCert = await pki.issue('client.esprit.test', 'ecdsa', 256);
  }
  assert.ok(pki && gwCert && clientCert);
  return { p: pki, gw: gwCert, client: clientCert };
}

test('strongSwan road warrior (ECDSA certificate) -> esprit gateway (RSA certificate)', { skip }, async () => {
  const l = scenario.lab;
  const c = await certs();
  const gw = await IkeHost.start(l, 'gw', certGwConf(), c.p.files(c.gw, 'gw'));
  const ss = await StrongSwanHost.start(
    l,
    'client',
    certClientConf({ strongswan: true }),
    c.p.files(c.client, 'client'),
  );
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
    assert.match(ss.log(200), /authentication of 'gw\.esprit\.test' with RSA_EMSA_PKCS1_SHA2_256 successful/);
    await waitForPing(l, 'client', gs?.vipsRemote[0] ?? '', LAB.gw.protected4);
  } finally {
    await ss.stop();
    await gw.stop();
  }
});

test('esprit road warrior (ECDSA certificate) -> strongSwan gateway (RSA certificate)', { skip }, async () => {
  const l = scenario.lab;
  const c = await certs();
  const ss = await StrongSwanHost.start(l, 'gw', certGwConf({ strongswan: true }), c.p.files(c.gw, 'gw'));
  const client = await IkeHost.start(l, 'client', certClientConf(), c.p.files(c.client, 'client'));
  try {
    const up = await client.up('home');
    assert.equal(up.code, 0, `esprit up: ${up.stderr}\n--- esprit\n${client.proc.stderr}\n--- charon\n${ss.log()}`);
    assert.match(
      ss.log(200),
      /authentication of 'client\.esprit\.test' with ECDSA(_WITH_SHA256_DER| \(P-256\))? ?.*successful/,
    );
    const [cs] = await client.listSas();
    assert.equal(cs?.remoteId, 'gw.esprit.test');
    await waitForPing(l, 'client', cs?.vipsLocal[0] ?? '', LAB.gw.protected4);
  } finally {
    await client.stop();
    await ss.stop();
  }
});

test('CRLs in x509crl/ (pki --signcrl): a revoked client certificate is refused; with revocation = strict a current CRL without it passes', {
  skip,
}, async () => {
  const l = scenario.lab;
  const c = await certs();
  const other = await c.p.issue('other.esprit.test', 'ecdsa', 256);
  for (const revoked of [false, true]) {
    const crl = await c.p.crl(revoked ? [c.client] : [other]);
    const gw = await IkeHost.start(
      l,
      'gw',
      certGwConf().replace('id = client.esprit.test', 'id = client.esprit.test\n      revocation = strict'),
      { ...c.p.files(c.gw, 'gw'), 'x509crl/ca.crl': crl },
    );
    const ss = await StrongSwanHost.start(
      l,
      'client',
      certClientConf({ strongswan: true }),
      c.p.files(c.client, 'client'),
    );
    try {
      const r = await ss.initiate('net', 'home');
      if (revoked) {
        assert.notEqual(r.code, 0, 'the revoked certificate must not get in');
        assert.match(
          gw.proc.stderr,
          /certificate 'C=CH, O=esprit, CN=client\.esprit\.test' is revoked \(serial [0-9A-F]+\)/,
        );
        assert.match(ss.log(200), /received AUTHENTICATION_FAILED notify error/);
        assert.equal((await gw.listSas()).length, 0);
      } else {
        assert.equal(r.code, 0, `${r.stdout}${r.stderr}\n--- esprit\n${gw.proc.stderr}`);
        assert.equal((await gw.listSas())[0]?.state, 'established');
      }
    } finally {
      await ss.stop();
      await gw.stop();
    }
  }
});
