/**
 * IDci/IDcr <-> traffic selectors (RFC 2407 §4.6.2.1). Expected data octets are hand-built
 * from the RFC's layouts: ADDR_SUBNET = address | mask, ADDR_RANGE = start | end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tsFromCidr } from '../config/traffic-selector.js';
import { fromHex, toHex } from '../util/hex.js';
import { idFromTs, tsFromId } from './traffic-id.js';

test('a prefix is ID_IPV4_ADDR_SUBNET (4), a host ID_IPV4_ADDR (1), other ranges ID_IPV4_ADDR_RANGE (7), IPv6 6/5/8', () => {
  const subnet = idFromTs(tsFromCidr('10.99.4.0/24'));
  assert.deepEqual([subnet.idType, toHex(subnet.data), subnet.protocolId, subnet.port], [4, '0a630400ffffff00', 0, 0]);
  const host = idFromTs(tsFromCidr('10.99.4.7'));
  assert.deepEqual([host.idType, toHex(host.data)], [1, '0a630407']);
  const range = idFromTs({ ...tsFromCidr('10.0.0.1'), endAddr: fromHex('0a000005') });
  assert.deepEqual([range.idType, toHex(range.data)], [7, '0a0000010a000005']);
  const udp53 = idFromTs(tsFromCidr('10.0.0.0/8', 17, 53, 53));
  assert.deepEqual([udp53.protocolId, udp53.port], [17, 53]);
  const v6 = idFromTs(tsFromCidr('2001:db8::/32'));
  assert.deepEqual([v6.idType, toHex(v6.data)], [6, `20010db8${'0'.repeat(24)}ffffffff${'0'.repeat(24)}`]);
  assert.equal(idFromTs(tsFromCidr('2001:db8::1')).idType, 5);
});

test('IDs decode to selectors; a subnet address with host bits is masked; bad types and lengths are refused', () => {
  const ts = tsFromId({ kind: 'ID', idType: 4, protocolId: 6, port: 443, data: fromHex('0a6304ffffffff00') });
  assert.ok(typeof ts !== 'string');
  assert.deepEqual(
    [toHex(ts.startAddr), toHex(ts.endAddr), ts.protocol, ts.startPort, ts.endPort],
    ['0a630400', '0a6304ff', 6, 443, 443],
  );
  const any = tsFromId({ kind: 'ID', idType: 1, protocolId: 0, port: 0, data: fromHex('0a630407') });
  assert.ok(typeof any !== 'string' && any.startPort === 0 && any.endPort === 65535);
  assert.match(
    tsFromId({ kind: 'ID', idType: 2, protocolId: 0, port: 0, data: fromHex('61') }) as string,
    /not an address type/,
  );
  assert.match(
    tsFromId({ kind: 'ID', idType: 4, protocolId: 0, port: 0, data: fromHex('0a630400') }) as string,
    /4 octets/,
  );
  assert.match(
    tsFromId({ kind: 'ID', idType: 7, protocolId: 0, port: 0, data: fromHex('0a0000050a000001') }) as string,
    /ends before/,
  );
});
