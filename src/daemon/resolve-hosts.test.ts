import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFromText } from '../../test/exchange/test-config.js';
import { MemoryLogger } from '../util/logger.js';
import { resolveConfigHosts } from './resolve-hosts.js';

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

test('resolveConfigHosts: a failing lookup is logged, the others applied', async () => {
  const log = new MemoryLogger();
  const r = await resolveConfigHosts(configFromText(CONF), log, async (n) => {
    if (n === 'gw.lab.test') return ['10.99.2.2'];
    throw new Error(`getaddrinfo ENOTFOUND ${n}`);
  });
  assert.deepEqual(r.connections[0]?.remoteAddrs, ['gw.lab.test', '10.99.2.2', '10.0.0.9']);
  assert.ok(log.lines.some((l) => l.includes('cannot resolve me.lab.test: getaddrinfo ENOTFOUND me.lab.test')));
});
