/**
 * The client's reading of Mode Config attributes (mode-cfg-05 §3.2, Cisco Unity entries per
 * protocol-facts §3: address | mask | protocol | sport | dport, 14 octets) from hand-built
 * octets, malformed ones included, and the split-include children.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChildConfig } from '../config/swanctl/swanctl-model.js';
import { fromHex } from '../util/hex.js';
import type { DataAttribute } from '../wire/isakmp/isakmp-types.js';
import { clientChildren, parseModeConfig } from './mode-config-client.js';

const tlv = (type: number, hex: string): DataAttribute => ({ type, form: 'tlv', value: fromHex(hex) });

test('Unity split include and exclude: prefixes from 14-octet entries; host bits cleared; bad masks and sizes noted', () => {
  const r = parseModeConfig([
    // 10.99.3.0/255.255.255.0 and 192.168.7.9/255.255.255.128 (-> 192.168.7.0/25)
    tlv(28676, '0a630300ffffff00000000000000c0a80709ffffff80000000000000'),
    // 10.0.0.0 with mask 255.0.255.0: not a prefix
    tlv(28676, '0a000000ff00ff00000000000000'),
    // 13 octets
    tlv(28678, '0a000000ff000000000000000000'.slice(0, 26)),
    // split exclude 192.168.1.0/24
    tlv(28678, 'c0a80100ffffff00000000000000'),
  ]);
  assert.deepEqual(r.splitInclude, ['10.99.3.0/24', '192.168.7.0/25']);
  assert.deepEqual(r.splitExclude, ['192.168.1.0/24']);
  assert.deepEqual(r.notes, [
    'UNITY_SPLIT_INCLUDE: mask 255.0.255.0 is not a prefix',
    'UNITY_SPLIT_EXCLUDE: 13 octets, not a multiple of 14',
  ]);
});

test('address, netmask, DNS, banner, default domain, split DNS; a Cisco UDP port only as a basic attribute', () => {
  const r = parseModeConfig([
    tlv(1, '0a636401'),
    tlv(1, '0a636402'),
    tlv(2, 'ffffff00'),
    tlv(3, '0a630335'),
    tlv(4, '0a63'),
    tlv(28672, '57656c636f6d65'), // "Welcome"
    tlv(28674, '6c61622e6578616d706c6500'), // "lab.example\0"
    tlv(28675, '612e6578616d706c652c20622e6578616d706c65'), // "a.example, b.example"
    tlv(28677, '2710'), // TLV form: not what the gateway must send
  ]);
  assert.deepEqual([...(r.address ?? [])], [10, 99, 100, 1], 'the first address only');
  assert.deepEqual([...(r.netmask ?? [])], [255, 255, 255, 0]);
  assert.equal(r.dns.length, 1);
  assert.equal(r.nbns.length, 0);
  assert.equal(r.banner, 'Welcome');
  assert.equal(r.defaultDomain, 'lab.example');
  assert.deepEqual(r.splitDns, ['a.example', 'b.example']);
  assert.equal(r.ciscoUdpPort, undefined);
  assert.deepEqual(r.notes, [
    'INTERNAL_IP4_NBNS: 2 octets, not an IPv4 address',
    'UNITY_NATT_PORT: not a basic attribute with a port',
  ]);
  const tv = parseModeConfig([{ type: 28677, form: 'tv', value: fromHex('2710') }]);
  assert.equal(tv.ciscoUdpPort, 10000);
});

test('split include networks: a child with remote_ts 0.0.0.0/0 becomes one child per network, others stay', () => {
  const base = { remoteTs: ['0.0.0.0/0'], name: 'vpn' } as ChildConfig;
  const narrow = { remoteTs: ['10.5.0.0/16'], name: 'lab' } as ChildConfig;
  const r = parseModeConfig([tlv(28676, '0a630300ffffff00000000000000c0a80700ffffff80000000000000')]);
  assert.deepEqual(
    clientChildren([base, narrow], r).map((c) => [c.name, c.remoteTs.join()]),
    [
      ['vpn', '10.99.3.0/24'],
      ['vpn-2', '192.168.7.0/25'],
      ['lab', '10.5.0.0/16'],
    ],
  );
  assert.deepEqual(
    clientChildren([base], parseModeConfig([])).map((c) => c.remoteTs.join()),
    ['0.0.0.0/0'],
  );
});
