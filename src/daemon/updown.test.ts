import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTs as parseTsList, type TrafficSelector } from '../config/traffic-selector.js';
import { UpdownTracker, updownEnv } from './updown.js';

const parseTs = (spec: string): TrafficSelector => parseTsList(spec)[0] as TrafficSelector;

// Expected values written from strongSwan's updown_listener.c formats (PLUTO_VERB
// "up"/"down" + "-host"/"-client" + "-v6", "%+H/%u" subnets, get_port()).
const rw = {
  id: 7,
  local: { address: '10.99.2.2', port: 4500 },
  remote: { address: '10.99.2.1', port: 31806 },
  localId: 'gw.esprit.test',
  remoteId: 'client.esprit.test',
  localBehindNat: false,
  remoteBehindNat: true,
  vipsLocal: [],
  vipsRemote: ['10.99.100.1', 'fd99:100::1'],
};

test('updownEnv: a gateway with a road warrior behind a NAT (up-client, PEER_SOURCEIP*, UDP_ENC)', () => {
  const child = { child: 'net', reqid: 3, localTs: [parseTs('10.99.3.0/24')], remoteTs: [parseTs('10.99.100.1/32')] };
  const env = updownEnv(rw, child, true, child.localTs[0] as TrafficSelector, child.remoteTs[0] as TrafficSelector);
  assert.deepEqual(env, {
    PLUTO_VERSION: '1.1',
    PLUTO_VERB: 'up-client',
    PLUTO_CONNECTION: 'net',
    PLUTO_INTERFACE: 'unknown',
    PLUTO_REQID: '3',
    PLUTO_PROTO: 'esp',
    PLUTO_UNIQUEID: '7',
    PLUTO_ME: '10.99.2.2',
    PLUTO_MY_ID: 'gw.esprit.test',
    PLUTO_MY_CLIENT: '10.99.3.0/24',
    PLUTO_MY_PORT: '0',
    PLUTO_MY_PROTOCOL: '0',
    PLUTO_PEER: '10.99.2.1',
    PLUTO_PEER_ID: 'client.esprit.test',
    PLUTO_PEER_CLIENT: '10.99.100.1/32',
    PLUTO_PEER_PORT: '0',
    PLUTO_PEER_PROTOCOL: '0',
    PLUTO_PEER_SOURCEIP: '10.99.100.1',
    PLUTO_PEER_SOURCEIP4_1: '10.99.100.1',
    PLUTO_PEER_SOURCEIP6_1: 'fd99:100::1',
    PLUTO_UDP_ENC: '31806',
  });
});

test('updownEnv: host-to-host (-host), IPv6 (-v6), a range approximated by the next larger subnet, ports and ICMP', () => {
  const host = { ...rw, local: { address: 'fd99:2::2', port: 500 }, remoteBehindNat: false, vipsRemote: [] };
  const c = { child: 'h', reqid: 1, localTs: [parseTs('fd99:2::2/128')], remoteTs: [parseTs('fd99:9::/64[tcp/443]')] };
  const e = updownEnv(host, c, false, c.localTs[0] as TrafficSelector, c.remoteTs[0] as TrafficSelector);
  assert.equal(e.PLUTO_VERB, 'down-host-v6');
  assert.equal(e.PLUTO_PEER_PORT, '443');
  assert.equal(e.PLUTO_PEER_PROTOCOL, '6');
  assert.equal(e.PLUTO_UDP_ENC, undefined);
  const range = {
    child: 'r',
    reqid: 1,
    localTs: [parseTs('10.0.0.1-10.0.0.6')],
    remoteTs: [parseTs('10.1.0.0/16[udp/1000-2000]')],
  };
  const r = updownEnv(rw, range, true, range.localTs[0] as TrafficSelector, range.remoteTs[0] as TrafficSelector);
  assert.equal(r.PLUTO_MY_CLIENT, '10.0.0.0/29');
  assert.equal(r.PLUTO_PEER_PORT, '1000:2000');
  // ICMP echo request: type 8 in the high octet of the port, code 0 in the low (RFC 4301 §4.4.1.1)
  const echo: TrafficSelector = { ...parseTs('10.0.0.0/8'), protocol: 1, startPort: 0x0800, endPort: 0x0800 };
  const icmp = { child: 'i', reqid: 1, localTs: [echo], remoteTs: [{ ...parseTs('10.1.0.0/16'), protocol: 1 }] };
  const i = updownEnv(rw, icmp, true, icmp.localTs[0] as TrafficSelector, icmp.remoteTs[0] as TrafficSelector);
  assert.deepEqual([i.PLUTO_MY_PORT, i.PLUTO_PEER_PORT], ['8', '0']);
});

test('UpdownTracker: a make-before-break rekey calls neither up nor down; the last CHILD SA going calls down', () => {
  const t = new UpdownTracker();
  const c = { child: 'net', reqid: 3, localTs: [parseTs('10.99.3.0/24')], remoteTs: [parseTs('10.99.100.1/32')] };
  assert.equal(t.up(c, rw), true, 'first CHILD SA: up');
  assert.equal(t.up(c, rw), false, 'its replacement: nothing');
  assert.equal(t.down(c, rw), false, 'the old one goes: nothing');
  const other = { ...c, remoteTs: [parseTs('10.99.100.2/32')] };
  assert.equal(t.up(other, rw), true, "another client's CHILD SA: up");
  assert.equal(t.down(c, rw), true, 'the last one goes: down');
});
