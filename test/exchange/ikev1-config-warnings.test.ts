/**
 * `esprit config check` warnings for IKEv1 certificate connections: `auth = pubkey` is
 * negotiated now (Main Mode, Aggressive Mode as responder) and gets no warning; an
 * Aggressive Mode initiator with signatures still does (the Aggressive Mode initiator speaks PSK).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configWarnings } from '../../src/config/swanctl/config-warnings.js';
import { configFromText } from './test-config.js';

const conn = (aggressive: boolean) =>
  configFromText(
    `connections {
  v1 {
    version = 1
    aggressive = ${aggressive ? 'yes' : 'no'}
    remote_addrs = 10.99.2.2
    local {
      auth = pubkey
      certs = client.crt
    }
    remote {
      auth = pubkey
    }
  }
}
`,
    { '/etc/swanctl/x509/client.crt': '' },
  );

test('IKEv1 auth = pubkey: no warning in Main Mode; an Aggressive Mode initiator with signatures is "not negotiated yet"', () => {
  assert.deepEqual(configWarnings(conn(false)), []);
  const w = configWarnings(conn(true)).map((x) => x.message);
  assert.equal(w.length, 1);
  assert.match(w[0] ?? '', /not negotiated by esprit iked yet: Aggressive Mode with signatures as initiator \(docs/);
});
