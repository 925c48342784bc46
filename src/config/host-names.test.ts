import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFromText } from '../../test/exchange/test-config.js';
import { hostNamesOf, isHostName, withResolvedHosts } from './host-names.js';

test('isHostName: DNS names only, not addresses, prefixes, ranges or %any', () => {
  for (const n of ['vpn.example.com', 'gw', 'gw-1.lab.test', 'xn--bcher-kva.example.'])
    assert.equal(isHostName(n), true, n);
  for (const n of [
    '10.0.0.1',
    '10.0.0.0/24',
    '10.0.0.1-10.0.0.5',
    'fd00::1',
    '%any',
    '%any6',
    '-gw.example',
    '192.0.2.1.',
  ]) {
    assert.equal(isHostName(n), false, n);
  }
});

const CONF = `
connections {
  home {
    remote_addrs = gw.lab.test, 10.0.0.9
    local_addrs = me.lab.test
    local { auth = psk }
    remote { auth = psk }
    children { net { remote_ts = 10.99.3.0/24 } }
  }
}
`;

test('withResolvedHosts: each name is followed by its addresses; unresolved names stay alone', () => {
  const c = configFromText(CONF);
  assert.deepEqual(hostNamesOf(c), ['me.lab.test', 'gw.lab.test']);
  const r = withResolvedHosts(c, new Map([['gw.lab.test', ['10.99.2.2', 'fd99:2::2', '10.0.0.9']]]));
  assert.deepEqual(r.connections[0]?.remoteAddrs, ['gw.lab.test', '10.99.2.2', 'fd99:2::2', '10.0.0.9']);
  assert.deepEqual(r.connections[0]?.localAddrs, ['me.lab.test']);
  assert.deepEqual(c.connections[0]?.remoteAddrs, ['gw.lab.test', '10.0.0.9'], 'the loaded config is not changed');
});
