import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { type Issued, TestPki } from './pki.js';
import { useLab } from './scenario.js';
import { StrongSwanHost } from './strongswan-host.js';
import { waitForPing } from './traffic.js';

// EAP-MSCHAPv2 road warriors (RFC 7296 §2.16) with strongSwan 5.9.8 through the lab NAT; the
// gateway authenticates with an RSA certificate made by strongSwan's `pki` at test time, the
// road warrior with user name and password (charon's eap-identity and eap-mschapv2 plugins;
// gcrypt supplies the MD4 and DES that OpenSSL 3's default provider lacks):
//  1. strongSwan road warrior -> esprit gateway: virtual IP, ping through
//  2. esprit road warrior -> strongSwan gateway: virtual IP, ping through
// 3. a wrong password against the esprit gateway is refused (AUTHENTICATION_FAILED).
const skip = requireScenarioSystem(['/usr/lib/ipsec/charon', 'swanctl', 'pki']);
const scenario = useLab('ike2eap-', { skip });
const EAP_PLUGINS = ['eap-identity', 'eap-mschapv2', 'gcrypt'];

const gwConf = `
connections {
  rw {
    local_addrs = ${LAB.gw.v4}
    pools = rw4
    local {
      auth = pubkey
      certs = gw.crt
      id = gw.esprit.test
    }
    remote {
      auth = eap-mschapv2
      eap_id = %any
    }
    children {
      net {
        local_ts = 10.99.3.0/24
      }
    }
    send_cert = always
  }
}
pools {
  rw4 {
    addrs = 10.99.100.0/28
  }
}
secrets {
  eap-alice {
    id = alice
    secret = "alice's secret"
  }
  eap-bob {
    id = bob
    secret = "bob's secret"
  }
}
`;

const clientConf = (password = "alice's secret") => `
connections {
  home {
    remote_addrs = ${LAB.gw.v4}
    vips = 0.0.0.0
    local {
      auth = eap-mschapv2
      eap_id = alice
    }
    remote {
      auth = pubkey
      id = gw.esprit.test
    }
    children {
      net {
        remote_ts = 10.99.3.0/24
      }
    }
  }
}
secrets {
  eap-alice {
    id = alice
    secret = "${password}"
  }
}
`;

let pki: TestPki | undefined;
let gwCert: Issued | undefined;

async function certs(): Promise<{ p: TestPki; gw: Issued }> {
  if (!pki) {
    pki = await TestPki.create(scenario.lab.tmp);
    gwCert = await pki.issue('gw.esprit.test', 'rsa', 2048);
  }
  assert.ok(pki && gwCert);
  return { p: pki, gw: gwCert };
}

/** Only the CA for the road warrior (it has no certificate of its own). */
const caOnly = (p: TestPki, gw: Issued): Record<string, Uint8Array> => {
  const f = p.files(gw, 'gw');
  return { 'x509ca/ca.crt': f['x509ca/ca.crt'] as Uint8Array };
};

test('strongSwan road warrior (EAP-MSCHAPv2) -> esprit gateway (RSA certificate)', { skip }, async () => {
  const l = scenario.lab;
  const c = await certs();
  const gw = await IkeHost.start(l, 'gw', gwConf, c.p.files(c.gw, 'gw'));
  const ss = await StrongSwanHost.start(
    l,
    'client',
    clientConf().replace('home {', 'home {\n    version = 2'),
    caOnly(c.p, c.gw),
    2,
    EAP_PLUGINS,
  );
  try {
    const r = await ss.initiate('net', 'home');
    assert.equal(
      r.code,
      0,
      `swanctl --initiate:\n${r.stdout}${r.stderr}\n--- charon\n${ss.log(200)}\n--- esprit\n${gw.proc.stderr}`,
    );
    const log = ss.log(300);
    assert.match(log, /authentication of 'gw\.esprit\.test' with RSA_EMSA_PKCS1_SHA2_256 successful/);
    assert.match(log, /EAP method EAP_MSCHAPV2 succeeded, MSK established/);
    assert.match(log, /authentication of 'gw\.esprit\.test' with EAP successful/);
    const [gs] = await gw.listSas();
    assert.equal(gs?.state, 'established');
    assert.equal(gs?.remoteEapId, 'alice');
    assert.match(await gw.listSasText(), /EAP: 'alice'/);
    await waitForPing(l, 'client', gs?.vipsRemote[0] ?? '', LAB.gw.protected4);
  } finally {
    await ss.stop();
    await gw.stop();
  }
});

test('strongSwan road warrior with a wrong password is refused by the esprit gateway', { skip }, async () => {
  const l = scenario.lab;
  const c = await certs();
  const gw = await IkeHost.start(l, 'gw', gwConf, c.p.files(c.gw, 'gw'));
  const ss = await StrongSwanHost.start(
    l,
    'client',
    clientConf('guessed').replace('home {', 'home {\n    version = 2'),
    caOnly(c.p, c.gw),
    2,
    EAP_PLUGINS,
  );
  try {
    const r = await ss.initiate('net', 'home');
    assert.notEqual(r.code, 0, 'the initiation must fail');
    assert.match(gw.proc.stderr, /EAP-MSCHAPv2 failed: wrong-password/);
    assert.deepEqual(await gw.listSas(), []);
  } finally {
    await ss.stop();
    await gw.stop();
  }
});

test('esprit road warrior (EAP-MSCHAPv2) -> strongSwan gateway (RSA certificate)', { skip }, async () => {
  const l = scenario.lab;
  const c = await certs();
  const ss = await StrongSwanHost.start(
    l,
    'gw',
    gwConf.replace('rw {', 'rw {\n    version = 2'),
    c.p.files(c.gw, 'gw'),
    2,
    EAP_PLUGINS,
  );
  const client = await IkeHost.start(l, 'client', clientConf(), caOnly(c.p, c.gw));
  try {
    const up = await client.up('home');
    assert.equal(up.code, 0, `esprit up: ${up.stderr}\n--- esprit\n${client.proc.stderr}\n--- charon\n${ss.log(200)}`);
    const log = ss.log(300);
    assert.match(log, /EAP method EAP_MSCHAPV2 succeeded, MSK established/);
    assert.match(log, /authentication of '[^']+' with EAP successful/);
    const [cs] = await client.listSas();
    assert.equal(cs?.remoteId, 'gw.esprit.test');
    await waitForPing(l, 'client', cs?.vipsLocal[0] ?? '', LAB.gw.protected4);
  } finally {
    await client.stop();
    await ss.stop();
  }
});
