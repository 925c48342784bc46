/**
 * IKE identities from swanctl `id` strings (strongSwan identification.c rules) and their
 * matching. DN DER values were produced by python3-cryptography (x509.Name.public_bytes(),
 * which, like strongSwan, writes C as PrintableString, emailAddress as IA5String, the rest as
 * UTF8String):
 *   Name([C=CH, O=strongSwan, CN=moon.strongswan.org]) -> 3040310b...6f7267
 *   Name([C=CH, O=esprit, emailAddress=a@b.c])         -> 3034310b...622e63
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeDn } from './distinguished-name.js';
import { formatIdentity, IdType, idMatches, idPayloadBody, parseIdentity } from './identity.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const MOON =
  '3040310b300906035504061302434831133011060355040a0c0a7374726f6e675377616e311c301a06035504030c136d6f6f6e2e7374726f6e677377616e2e6f7267';
const MAIL =
  '3034310b3009060355040613024348310f300d060355040a0c066573707269743114301206092a864886f70d01090116056140622e63';

test("ID types by strongSwan's rules: IP literals, @fqdn, user@host, @#keyid, DN, plain FQDN, %any", () => {
  assert.deepEqual(parseIdentity('10.99.2.2'), { type: IdType.ID_IPV4_ADDR, data: new Uint8Array([10, 99, 2, 2]) });
  assert.equal(parseIdentity('fd99:2::2').type, IdType.ID_IPV6_ADDR);
  assert.equal(parseIdentity('fd99:2::2').data.length, 16);
  assert.deepEqual(parseIdentity('@gw.example.org'), {
    type: IdType.ID_FQDN,
    data: new TextEncoder().encode('gw.example.org'),
  });
  assert.equal(parseIdentity('gw.example.org').type, IdType.ID_FQDN);
  assert.equal(parseIdentity('carol@strongswan.org').type, IdType.ID_RFC822_ADDR);
  assert.deepEqual(parseIdentity('@#0102ab'), { type: IdType.ID_KEY_ID, data: new Uint8Array([1, 2, 0xab]) });
  // keyid:labgroup (vpnc's IPSec ID) is the ASCII of the name; keyid:#hex the octets
  assert.deepEqual(parseIdentity('keyid:labgroup'), {
    type: IdType.ID_KEY_ID,
    data: new Uint8Array([0x6c, 0x61, 0x62, 0x67, 0x72, 0x6f, 0x75, 0x70]),
  });
  assert.deepEqual(parseIdentity('keyid:#0102'), { type: IdType.ID_KEY_ID, data: new Uint8Array([1, 2]) });
  assert.equal(parseIdentity('%any').type, IdType.ID_ANY);
});

test('DN identities encode as python-cryptography encodes the same Name, and print back', () => {
  const moon = parseIdentity('C=CH, O=strongSwan, CN=moon.strongswan.org');
  assert.equal(moon.type, IdType.ID_DER_ASN1_DN);
  assert.equal(hex(moon.data), MOON);
  assert.equal(formatIdentity(moon), 'C=CH, O=strongSwan, CN=moon.strongswan.org');
  assert.equal(hex(parseIdentity('C=CH, O=esprit, E=a@b.c').data), MAIL);
  assert.deepEqual(
    decodeDn(new Uint8Array(Buffer.from(MOON, 'hex')))?.map((r) => r.value),
    ['CH', 'strongSwan', 'moon.strongswan.org'],
  );
  assert.equal(decodeDn(new Uint8Array([0x30, 0x05, 0x31])), undefined, 'truncated DER is refused');
});

test('matching with swanctl wildcards: %any, *@domain, *.domain, CN=*', () => {
  const carol = parseIdentity('carol@strongswan.org');
  assert.ok(idMatches('%any', carol));
  assert.ok(idMatches('*@strongswan.org', carol));
  assert.ok(!idMatches('*@example.org', carol));
  assert.ok(idMatches('*.strongswan.org', parseIdentity('moon.strongswan.org')));
  assert.ok(idMatches('C=CH, O=strongSwan, CN=*', parseIdentity('C=CH, O=strongSwan, CN=moon.strongswan.org')));
  assert.ok(!idMatches('C=CH, O=other, CN=*', parseIdentity('C=CH, O=strongSwan, CN=moon.strongswan.org')));
  assert.ok(!idMatches('10.99.2.2', parseIdentity('10.99.2.3')));
  // RFC 7296 §2.15 RestOfIDPayload: type, three reserved octets, data
  assert.equal(hex(idPayloadBody(parseIdentity('10.99.2.2'))), '010000000a630202');
});
