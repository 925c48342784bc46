import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { addrSpecMatches, ConnectionMatcher, parseAddrSpec } from './peer-match.js';

const v4 = (s: string): Uint8Array => new Uint8Array(s.split('.').map(Number));
const v6 = (hex: string): Uint8Array => new Uint8Array(hex.match(/../g)?.map((h) => Number.parseInt(h, 16)) ?? []);

test('address specs: %any, %any4/6, ranges, prefixes, addresses; host names and malformed entries match nothing', () => {
  const cases: [string, Uint8Array, boolean][] = [
    ['%any', v4('10.0.0.1'), true],
    ['%any', v6('20010db8000000000000000000000001'), true],
    ['%any4', v4('10.0.0.1'), true],
    ['%any4', v6('20010db8000000000000000000000001'), false],
    ['%any6', v6('20010db8000000000000000000000001'), true],
    ['%any6', v4('10.0.0.1'), false],
    [' 10.0.0.5-10.0.0.9 ', v4('10.0.0.5'), true],
    ['10.0.0.5-10.0.0.9', v4('10.0.0.9'), true],
    ['10.0.0.5-10.0.0.9', v4('10.0.0.10'), false],
    ['10.0.0.5-10.0.0.9', v4('10.0.0.4'), false],
    ['10.0.0.5-bogus', v4('10.0.0.6'), false],
    ['192.0.2.0/24', v4('192.0.2.200'), true],
    ['192.0.2.0/24', v4('192.0.3.1'), false],
    ['192.0.2.0/24', v6('c0000200000000000000000000000000'), false],
    ['2001:db8::/32', v6('20010db8ffff00000000000000000001'), true],
    ['2001:db8::/32', v6('20010db9000000000000000000000001'), false],
    ['192.0.2.0/99', v4('192.0.2.1'), false],
    ['198.51.100.7', v4('198.51.100.7'), true],
    ['198.51.100.7', v4('198.51.100.8'), false],
    ['vpn.example.com', v4('198.51.100.7'), false],
  ];
  for (const [spec, addr, want] of cases)
    assert.equal(addrSpecMatches(spec, addr), want, `${spec} vs ${addr.join('.')}`);
  assert.deepEqual(parseAddrSpec('vpn.example.com'), { kind: 'nothing' });
  assert.deepEqual(parseAddrSpec('10.1.0.0/16'), { kind: 'prefix', length: 4, hostBits: 16n, network: 0x0a01n });
});

const conn = (name: string, version: number, localAddrs: string[], remoteAddrs: string[]): ConnectionConfig =>
  ({ name, version, localAddrs, remoteAddrs }) as unknown as ConnectionConfig;

test('ConnectionMatcher: IKEv2 (or any version) connections whose remote_addrs and local_addrs take the pair, in order', () => {
  const conns = [
    conn('v1-only', 1, ['%any'], ['%any']),
    conn('site', 2, ['192.0.2.1'], ['198.51.100.0/24']),
    conn('rw', 0, ['%any'], ['%any']),
    conn('other-local', 2, ['192.0.2.2'], ['%any']),
  ];
  const m = new ConnectionMatcher(conns);
  const names = (local: string, remote: string): string[] => m.candidates(v4(local), v4(remote)).map((c) => c.name);
  assert.deepEqual(names('192.0.2.1', '198.51.100.7'), ['site', 'rw']);
  assert.deepEqual(names('192.0.2.1', '203.0.113.5'), ['rw']);
  assert.deepEqual(names('192.0.2.2', '198.51.100.7'), ['rw', 'other-local']);
  // a wildcard listener reports 0.0.0.0 as our address: only remote_addrs decide
  assert.deepEqual(names('0.0.0.0', '198.51.100.7'), ['site', 'rw', 'other-local']);
});

test('ConnectionMatcher parses the addresses once, when it is made (the configuration is loaded)', () => {
  const c = conn('site', 2, ['192.0.2.1'], ['198.51.100.0/24']);
  const m = new ConnectionMatcher([c]);
  // Changing the strings afterwards changes nothing: they are not read again per message.
  (c as { remoteAddrs: string[] }).remoteAddrs = ['203.0.113.0/24'];
  assert.deepEqual(
    m.candidates(v4('192.0.2.1'), v4('198.51.100.7')).map((x) => x.name),
    ['site'],
  );
  assert.deepEqual(m.candidates(v4('192.0.2.1'), v4('203.0.113.1')), []);
});
