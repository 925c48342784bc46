/**
 * EAP-MSCHAPv2 in IKE_AUTH (RFC 7296 §2.16) between two in-process engines
 * (test/exchange/ikev2-pair.ts): the gateway authenticates with an RSA certificate made by
 * python3-cryptography (test/vectors/gen/eap-gw-cert.py), the road warrior with a user name
 * and password. Payload lists are charon's notation for the same exchange (its log of an
 * eap-mschapv2 road warrior: `IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr CERTREQ CPRQ(ADDR DNS)
 * SA TSi TSr ]`, `IKE_AUTH response 1 [ IDr CERT AUTH EAP/REQ/ID ]`, ... `[ AUTH ]`,
 * `[ AUTH CPRP(ADDR DNS) SA TSi TSr ]`).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { loadSwanctl } from '../../src/config/swanctl/swanctl-load.js';
import type { EspritConfig } from '../../src/config/swanctl/swanctl-model.js';
import { loadPrivateKey } from '../../src/crypto/ike/signature-auth.js';
import { parseCertificate } from '../../src/crypto/ike/x509-chain.js';
import type { IkeCredentials } from '../../src/ikev2/credentials.js';
import { bytesEqual } from '../../src/util/hex.js';
import { formatIp } from '../../src/util/ip-addr.js';
import { IkePair } from './ikev2-pair.js';
import { memoryFs } from './test-config.js';

const script = new URL('../../../test/vectors/gen/eap-gw-cert.py', import.meta.url).pathname;
const pki = JSON.parse(execFileSync('python3', [script], { encoding: 'utf8' })) as Record<string, string>;
const enc = new TextEncoder();
const CERT_PATH = '/etc/swanctl/x509/gw.pem';
const ca = parseCertificate(enc.encode(pki.ca ?? ''));
const gwCreds: IkeCredentials = {
  cas: [ca],
  certs: new Map([[CERT_PATH, parseCertificate(enc.encode(pki.gw ?? ''))]]),
  keys: [loadPrivateKey(enc.encode(pki.gwKey ?? ''))],
};
const clientCreds: IkeCredentials = { cas: [ca], certs: new Map(), keys: [] };

function load(text: string): EspritConfig {
  const r = loadSwanctl(
    '/etc/swanctl/swanctl.conf',
    memoryFs({ '/etc/swanctl/swanctl.conf': text, [CERT_PATH]: pki.gw ?? '' }),
  );
  if (!r.config) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.config;
}

const GW = (eapId = '%any') => `
connections {
  rw {
    local_addrs = 10.99.2.2
    proposals = aes128-sha256-modp2048
    pools = rw4
    local {
      auth = pubkey
      certs = gw.pem
      id = gw.esprit.test
    }
    remote {
      auth = eap-mschapv2
      eap_id = ${eapId}
    }
    children {
      net {
        local_ts = 10.99.3.0/24
        esp_proposals = aes128gcm16
      }
    }
  }
}
pools {
  rw4 {
    addrs = 10.99.100.0/28
    dns = 10.99.3.53
  }
}
secrets {
  eap-alice {
    id = alice
    secret = "alice's password"
  }
  eap-bob {
    id = bob
    secret = "bob's password"
  }
}
`;

const CLIENT = (user = 'alice', password = "alice's password") => `
connections {
  home {
    remote_addrs = 10.99.2.2
    proposals = aes128-sha256-modp2048
    vips = 0.0.0.0
    local {
      auth = eap-mschapv2
      eap_id = ${user}
    }
    remote {
      auth = pubkey
      id = gw.esprit.test
    }
    children {
      net {
        remote_ts = 10.99.3.0/24
        esp_proposals = aes128gcm16
      }
    }
  }
}
secrets {
  eap-me {
    id = ${user}
    secret = "${password}"
  }
}
`;

function pair(gw = GW(), client = CLIENT()): IkePair {
  const p = new IkePair(load(client), load(gw));
  p.i.engine.credentials = clientCreds;
  p.r.engine.credentials = gwCreds;
  return p;
}

test('EAP-MSCHAPv2 road warrior: certificate AUTH from the gateway, EAP rounds, AUTH with the MSK, virtual IP and CHILD SA', () => {
  const p = pair();
  p.initiate('home');
  p.flush();
  assert.deepEqual(p.i.results, [{ requestId: 1, ok: true, reason: 'established' }]);
  // HDR, SK {IDi, CERTREQ, IDr, CP, SAi2, TSi, TSr} -->  (no AUTH: §2.16)
  // <-- HDR, SK {IDr, CERT, AUTH, EAP(Request/Identity)}
  // EAP(Response/Identity) -->  <-- EAP(Request/MSCHAPv2 Challenge)
  // EAP(Response/MSCHAPv2 Response) -->  <-- EAP(Request/MSCHAPv2 Success)
  // EAP(Response/MSCHAPv2 Success) -->  <-- EAP(Success)
  // AUTH -->  <-- AUTH, CP(CFG_REPLY), SAr2, TSi, TSr
  assert.deepEqual(p.log('i', 'generating').slice(1), [
    'IKE_AUTH request 1 [ IDi N(INIT_CONTACT) CERTREQ IDr CPRQ(ADDR DNS) SA TSi TSr N(MOBIKE_SUP) N(NO_ADD_ADDR) ]',
    'IKE_AUTH request 2 [ EAP/RES/ID ]',
    'IKE_AUTH request 3 [ EAP/RES/MSCHAPV2 ]',
    'IKE_AUTH request 4 [ EAP/RES/MSCHAPV2 ]',
    'IKE_AUTH request 5 [ AUTH ]',
  ]);
  assert.deepEqual(p.log('r', 'generating').slice(1), [
    'IKE_AUTH response 1 [ IDr CERT AUTH EAP/REQ/ID ]',
    'IKE_AUTH response 2 [ EAP/REQ/MSCHAPV2 ]',
    'IKE_AUTH response 3 [ EAP/REQ/MSCHAPV2 ]',
    'IKE_AUTH response 4 [ EAP/SUCC ]',
    'IKE_AUTH response 5 [ AUTH CPRP(ADDR DNS) SA TSi TSr N(MOBIKE_SUP) N(NO_ADD_ADDR) ]',
  ]);
  const [si] = p.i.engine.list();
  const [sr] = p.r.engine.list();
  assert.ok(si && sr);
  assert.equal(si.lifecycle.state, 'established');
  assert.equal(sr.lifecycle.state, 'established');
  assert.equal(sr.remoteEapId, 'alice');
  assert.equal(sr.eap, undefined, 'the EAP state is dropped once authenticated');
  assert.deepEqual(p.i.vips.map(formatIp), ['10.99.100.1']);
  const ci = p.i.installed[0];
  const cr = p.r.installed[0];
  assert.ok(ci && cr);
  assert.equal(ci.inbound.spi, cr.outbound.spi);
  assert.ok(bytesEqual(ci.outbound.encrKey, cr.inbound.encrKey));
  assert.equal(formatIp(cr.remoteTs[0]?.startAddr ?? new Uint8Array(4)), '10.99.100.1');
  assert.ok(p.r.events.some((e) => e.kind === 'ike-up'));
});

test('the lease is kept under the EAP identity (alice), not the IKE identity (the client address)', () => {
  const p = pair();
  p.initiate('home');
  p.flush();
  assert.deepEqual(p.i.vips.map(formatIp), ['10.99.100.1']);
  const pool = p.r.engine.pools.get('rw4');
  assert.ok(pool);
  assert.equal(pool.online, 1);
  p.i.engine.terminate('home');
  p.run('i');
  p.flush();
  assert.equal(p.r.engine.list().length, 0, 'the Delete reached the gateway');
  // released under the identity it was leased to (release() refuses another identity)
  assert.equal(pool.online, 0);
  assert.equal(pool.offlineCount, 1);
  assert.equal(pool.acquire('10.99.1.2'), '10.99.100.2', "the client's IKE identity holds no lease");
  assert.equal(pool.acquire('alice'), '10.99.100.1', "alice's address waits for her");
});

test('wrong password: EAP-Failure with AUTHENTICATION_FAILED, reason wrong-password, nothing installed', () => {
  const p = pair(GW(), CLIENT('alice', 'not her password'));
  p.initiate('home');
  p.flush();
  assert.equal(p.i.results.length, 1);
  assert.equal(p.i.results[0]?.ok, false);
  assert.match(p.i.results[0]?.reason ?? '', /EAP-MSCHAPv2 as 'alice' failed: rejected/);
  assert.equal(p.log('r', 'generating').at(-1), 'IKE_AUTH response 3 [ EAP/FAIL N(AUTH_FAILED) ]');
  const fail = p.r.events.find((e) => e.kind === 'auth-failed');
  assert.ok(fail?.kind === 'auth-failed');
  assert.equal(fail.eap, 'wrong-password');
  assert.equal(fail.notify, 'AUTHENTICATION_FAILED');
  const ifail = p.i.events.find((e) => e.kind === 'auth-failed');
  assert.ok(ifail?.kind === 'auth-failed' && ifail.eap === 'rejected');
  assert.equal(p.i.engine.list().length, 0);
  assert.equal(p.r.engine.list().length, 0);
  assert.equal(p.i.installed.length + p.r.installed.length, 0);
  assert.equal(p.i.vips.length, 0);
});

test('unknown user: reason unknown-user on the gateway', () => {
  const p = pair(GW(), CLIENT('mallory', 'whatever'));
  p.initiate('home');
  p.flush();
  assert.equal(p.i.results[0]?.ok, false);
  const fail = p.r.events.find((e) => e.kind === 'auth-failed');
  assert.ok(fail?.kind === 'auth-failed' && fail.eap === 'unknown-user');
  assert.equal(p.r.engine.list().length, 0);
  assert.equal(p.i.installed.length + p.r.installed.length, 0);
});

test('eap_id on the gateway restricts the EAP identity (Response/Identity bob, eap_id = alice)', () => {
  const p = pair(GW('alice'), CLIENT('bob', "bob's password"));
  p.initiate('home');
  p.flush();
  assert.equal(p.i.results[0]?.ok, false);
  const fail = p.r.events.find((e) => e.kind === 'auth-failed');
  assert.ok(fail?.kind === 'auth-failed' && fail.eap === 'unknown-user');
  assert.equal(p.log('r', 'generating').at(-1), 'IKE_AUTH response 2 [ EAP/FAIL N(AUTH_FAILED) ]');
});

test('no eap_id on the gateway: no Identity round, the IKE identity is the EAP identity', () => {
  const gw = GW().replace('eap_id = %any', '');
  const client = CLIENT().replace('eap_id = alice', 'id = alice');
  const p = pair(gw, client);
  p.initiate('home');
  p.flush();
  assert.deepEqual(p.i.results, [{ requestId: 1, ok: true, reason: 'established' }]);
  assert.equal(p.log('r', 'generating')[1], 'IKE_AUTH response 1 [ IDr CERT AUTH EAP/REQ/MSCHAPV2 ]');
  assert.equal(p.r.engine.list()[0]?.remoteEapId, 'alice');
});

test('a client that stops answering in the middle of EAP is dropped by the half-open timeout', () => {
  const p = pair();
  p.initiate('home');
  // IKE_SA_INIT both ways, IKE_AUTH 1 both ways: the client's EAP/RES/ID is lost
  for (let i = 0; i < 4; i++) p.deliver(p.next());
  p.wire.length = 0;
  assert.equal(p.r.engine.list()[0]?.lifecycle.state, 'connecting');
  p.clock.advance(29_000);
  p.r.engine.tick();
  p.run('r');
  assert.equal(p.r.engine.list().length, 1, 'still there before 30 s');
  p.clock.advance(2_000);
  p.r.engine.tick();
  p.run('r');
  assert.equal(p.r.engine.list().length, 0);
});

test('a retransmitted EAP request is answered from the cache, the EAP conversation does not advance twice', () => {
  const p = pair();
  p.initiate('home');
  for (let i = 0; i < 4; i++) p.deliver(p.next());
  // HDR, SK {EAP(Response/Identity)} -->   delivered twice
  const eapId = p.next();
  p.deliver(eapId);
  const first = p.next();
  p.deliver({ ...eapId });
  const again = p.next();
  assert.ok(bytesEqual(first.bytes, again.bytes), 'the same response, from the cache (§2.1)');
  p.deliver(first);
  p.flush();
  assert.deepEqual(p.i.results, [{ requestId: 1, ok: true, reason: 'established' }]);
  assert.equal(p.r.engine.list()[0]?.lifecycle.state, 'established');
});

test('an AUTH that does not match the MSK is refused after EAP-Success (AUTHENTICATION_FAILED, nothing installed)', () => {
  const p = pair();
  p.initiate('home');
  // run until the gateway has sent EAP-Success and holds the MSK
  for (let i = 0; i < 20 && !p.r.engine.list()[0]?.eap?.msk; i++) p.deliver(p.next());
  const st = p.r.engine.list()[0]?.eap;
  assert.ok(st?.msk, 'EAP succeeded on the gateway');
  // the gateway's idea of the MSK differs from the client's by one bit
  st.msk = st.msk.slice();
  st.msk[0] = (st.msk[0] ?? 0) ^ 1;
  p.flush();
  const fail = p.r.events.find((e) => e.kind === 'auth-failed');
  assert.ok(fail?.kind === 'auth-failed');
  assert.match(fail.detail, /AUTH of 'alice' with the EAP MSK does not verify/);
  assert.equal(p.log('r', 'generating').at(-1), 'IKE_AUTH response 5 [ N(AUTH_FAILED) ]');
  assert.equal(p.i.results[0]?.ok, false);
  assert.match(p.i.results[0]?.reason ?? '', /AUTHENTICATION_FAILED/);
  assert.equal(p.i.installed.length + p.r.installed.length, 0);
  assert.equal(p.r.engine.list().length, 0);
});
