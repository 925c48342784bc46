/**
 * `esprit config check` warnings for IKEv1 certificate connections: Main Mode with
 * `auth = pubkey` is negotiated now and gets no warning; Aggressive Mode with it still does.
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

test('IKEv1 auth = pubkey: no warning in Main Mode, "not negotiated yet" in Aggressive Mode', () => {
  assert.deepEqual(configWarnings(conn(false)), []);
  const w = configWarnings(conn(true)).map((x) => x.message);
  assert.equal(w.length, 1);
  assert.match(
    w[0] ?? '',
    /not negotiated by esprit iked yet: Aggressive Mode as initiator, auth = pubkey in Aggressive Mode/,
  );
});
