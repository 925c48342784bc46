/**
 * IKEv1 Main Mode with RSA signatures and X.509 certificates (RFC 2409 §5.1, RFC 4945) between
 * two in-process esprit engines, through the NAT in front of the initiator. The chain (root ->
 * intermediate -> gw.esprit.test / client.esprit.test, 2048-bit RSA) is made by python3's
 * `cryptography` (cert-chain.ts); each side trusts only the root, so the intermediate must
 * travel in a CERT payload. Where CR and CERT go follows charon (main-mode-pubkey.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IkeCredentials } from '../../src/ike/credentials.js';
import type { Ikev1Sa } from '../../src/ikev1/ikev1-sa.js';
import { verifySignedIdentity } from '../../src/ikev1/main-mode-pubkey.js';
import { bytesEqual } from '../../src/util/hex.js';
import type { IsakmpPayload } from '../../src/wire/isakmp/isakmp-types.js';
import { makeChain, type TestChain } from './cert-chain.js';
import { type Datagram, Ikev1Pair } from './ikev1-pair.js';
import { configFromText } from './test-config.js';

const FILES = { '/etc/swanctl/x509/gw.crt': '', '/etc/swanctl/x509/client.crt': '' };

const conf = (side: 'i' | 'r', o: { remoteId?: string; localId?: string; certreq?: boolean } = {}) =>
  configFromText(
    `connections {
  mm {
    version = 1
    ${side === 'i' ? 'local_addrs = 10.99.1.2\n    remote_addrs = 10.99.2.2' : 'local_addrs = 10.99.2.2'}
    proposals = aes128-sha256-modp2048
    ${o.certreq === false ? 'send_certreq = no' : ''}
    local {
      auth = pubkey
      certs = ${side === 'i' ? 'client.crt' : 'gw.crt'}
      ${side === 'r' ? `id = ${o.localId ?? 'gw.esprit.test'}` : o.localId ? `id = ${o.localId}` : ''}
    }
    remote {
      auth = pubkey
      id = ${o.remoteId ?? (side === 'i' ? 'gw.esprit.test' : '"O=esprit, CN=client.esprit.test"')}
    }
  }
}
`,
    FILES,
  );

let chains: TestChain[] = [];
function chain(n = 0): TestChain {
  while (chains.length <= n) chains = [...chains, makeChain(2048)];
  return chains[n] as TestChain;
}

/** Side `s`'s credentials: its certificate from chain `n`, the intermediate, and `trust` as the only anchor. */
function creds(s: 'i' | 'r', n = 0, trust = chain(0).root): IkeCredentials {
  const c = chain(n);
  return {
    cas: [trust],
    certs: new Map([
      [`/etc/swanctl/x509/${s === 'i' ? 'client' : 'gw'}.crt`, s === 'i' ? c.client : c.gw],
      ['/etc/swanctl/x509/intermediate.crt', c.intermediate],
    ]),
    keys: [s === 'i' ? c.clientKey : c.gwKey],
  };
}

const only = (p: Ikev1Pair, s: 'i' | 'r'): Ikev1Sa => {
  const l = p.peer(s).engine.list();
  assert.equal(l.length, 1, `${s}: one SA`);
  return l[0] as Ikev1Sa;
};

/** MM1 .. MM6 (and the INITIAL-CONTACT after) delivered in turn until the wire is quiet; the datagrams. */
function run(p: Ikev1Pair): Datagram[] {
  p.initiate('mm');
  const seen: Datagram[] = [];
  for (let k = 0; k < 40 && p.wire.length > 0; k++) {
    const d = p.next();
    seen.push(d);
    p.deliver(d);
  }
  assert.equal(p.wire.length, 0);
  return seen;
}

test('Main Mode with RSA signatures: CR in MM4 and MM5, ID CERT CERT SIG both ways, DN and FQDN identities, same keys', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'), { credentials: { i: creds('i'), r: creds('r', 0) } });
  const seen = run(p);
  // MM5 and MM6 (about 2 kB with two 2048-bit certificates) exceed fragment_size 1280 and go as
  // Cisco fragments (both sides sent the FRAGMENTATION VID): 1280 - 20 - 8 - 4 = 1248 octets each at most
  const frags = seen.filter((d) => d.bytes[16] === 132);
  assert.deepEqual(
    frags.map((d) => `${d.from}${d.bytes[34]}`),
    ['i1', 'i2', 'r1', 'r2'],
  );
  // charon's form: exchange ID_PROT (2), flags 0, message ID 0, FRAG payload alone
  assert.ok(frags.every((d) => d.bytes.length <= 1248 && d.bytes[18] === 2 && d.bytes[19] === 0));
  assert.ok(frags.every((d) => d.bytes.subarray(20, 24).every((x) => x === 0)));
  const i = only(p, 'i');
  const r = only(p, 'r');
  assert.equal(i.state, 'established');
  assert.equal(r.state, 'established');
  // RFC 2409 Appendix A: authentication method 3, RSA signatures
  assert.equal(r.suite?.authMethod, 3);
  assert.ok(i.keys && r.keys && bytesEqual(i.keys.skeyid, r.keys.skeyid) && bytesEqual(i.keys.skeyidE, r.keys.skeyidE));
  // the client's ID defaults to its certificate's subject DN (ID_DER_ASN1_DN, 9); the gateway's is its FQDN (2)
  assert.deepEqual([r.remoteId?.type, i.remoteId?.type], [9, 2]);
  const up = p.r.events.find((e) => e.kind === 'ike-up');
  assert.ok(up?.kind === 'ike-up' && up.remoteId === 'O=esprit, CN=client.esprit.test', JSON.stringify(up));
  assert.deepEqual(p.log('i', 'generating').slice(0, 3), [
    'ID_PROT request 0 [ SA V V V V V V V V ]',
    'ID_PROT request 0 [ KE No NAT-D NAT-D ]',
    // HDR*, IDii, CERT (client), CERT (intermediate), CR (root), SIG_I -->
    'ID_PROT request 0 [ ID CERT CERT CERTREQ SIG ]',
  ]);
  assert.deepEqual(p.log('r', 'generating'), [
    'ID_PROT response 0 [ SA V V V ]',
    // <-- HDR, KE, Nr, CR (root), NAT-D, NAT-D
    'ID_PROT response 0 [ KE No NAT-D NAT-D CERTREQ ]',
    // <-- HDR*, IDir, CERT (gw), CERT (intermediate), SIG_R
    'ID_PROT response 0 [ ID CERT CERT SIG ]',
  ]);
  assert.ok(p.r.logger.lines.some((l) => l.includes('IKE_SA mm established')));
});

test('send_certreq = no on the gateway: the client (send_cert = ifasked) sends no certificate and the gateway fails it', () => {
  const p = new Ikev1Pair(conf('i'), conf('r', { certreq: false }), { credentials: { i: creds('i'), r: creds('r') } });
  run(p);
  assert.deepEqual(p.log('i', 'generating')[2], 'ID_PROT request 0 [ ID CERTREQ SIG ]');
  assert.equal(p.r.engine.list().length, 0);
  const f = p.r.events.find((e) => e.kind === 'auth-failed');
  assert.ok(f?.kind === 'auth-failed' && f.notify === 'AUTHENTICATION-FAILED', JSON.stringify(f));
  assert.match(f.detail, /no certificate from 'O=esprit, CN=client.esprit.test'/);
});

test('a client certificate from another CA: the gateway fails the SA and sends no MM6', () => {
  // the client's chain is made by another root the gateway does not trust
  const p = new Ikev1Pair(conf('i'), conf('r'), {
    credentials: { i: { ...creds('i', 1, chain(0).root) }, r: creds('r') },
  });
  run(p);
  assert.ok(!p.log('r', 'generating').some((l) => l.includes('[ ID')), 'no MM6');
  assert.equal(p.r.engine.list().length, 0);
  const f = p.r.events.find((e) => e.kind === 'auth-failed');
  assert.ok(f?.kind === 'auth-failed');
  assert.match(f.detail, /no trusted issuer/);
});

test('the certificate must contain the identity: a configured ID the certificate lacks is refused', () => {
  // the client claims an FQDN its certificate does not name: no credential, the SA fails before MM5
  const p = new Ikev1Pair(conf('i', { localId: 'other.esprit.test' }), conf('r'), {
    credentials: { i: creds('i'), r: creds('r') },
  });
  run(p);
  // MM1, MM3, then the clear error notify (error-notify.ts) instead of MM5
  const sent = p.log('i', 'generating');
  assert.equal(sent.filter((l) => l.startsWith('ID_PROT')).length, 2, `no MM5: ${sent.join(' | ')}`);
  const f = p.i.events.find((e) => e.kind === 'auth-failed');
  assert.ok(f?.kind === 'auth-failed');
  assert.match(f.detail, /does not contain identity 'other.esprit.test'/);
  // and the gateway refuses a peer ID other than the configured one
  const q = new Ikev1Pair(conf('i'), conf('r', { remoteId: 'someone.esprit.test' }), {
    credentials: { i: creds('i'), r: creds('r') },
  });
  run(q);
  const g = q.r.events.find((e) => e.kind === 'auth-failed');
  assert.ok(g?.kind === 'auth-failed');
  assert.equal(g.notify, 'INVALID-ID-INFORMATION');
});

test('a PSK connection and a certificate connection on the same addresses: MM1 picks by the offered method', () => {
  const both = configFromText(
    `connections {
  psk {
    version = 1
    local_addrs = 10.99.2.2
    proposals = aes128-sha256-modp2048
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
  }
  mm {
    version = 1
    local_addrs = 10.99.2.2
    proposals = aes128-sha256-modp2048
    local {
      auth = pubkey
      certs = gw.crt
      id = gw.esprit.test
    }
    remote {
      auth = pubkey
    }
  }
}
`,
    FILES,
  );
  const p = new Ikev1Pair(conf('i'), both, { credentials: { i: creds('i'), r: creds('r') } });
  run(p);
  assert.equal(only(p, 'r').conn.name, 'mm');
  assert.equal(only(p, 'r').state, 'established');
});

test('more than 8 CERT payloads in one message are refused before any is parsed', () => {
  const sa = { conn: conf('r').connections[0] } as Ikev1Sa;
  const ps: IsakmpPayload[] = [
    ...Array.from({ length: 9 }, (): IsakmpPayload => ({ kind: 'CERT', encoding: 4, data: new Uint8Array([0x30]) })),
    { kind: 'SIG', data: new Uint8Array(256) },
  ];
  const id = { type: 2, data: new TextEncoder().encode('client.esprit.test') };
  assert.equal(verifySignedIdentity(creds('r'), sa, ps, id, new Uint8Array(32), 0), '9 CERT payloads (at most 8)');
  // with 8 the certificates are looked at (and this junk is refused as such)
  assert.equal(
    verifySignedIdentity(creds('r'), sa, ps.slice(1), id, new Uint8Array(32), 0),
    'a CERT payload is not an X.509 certificate',
  );
});
