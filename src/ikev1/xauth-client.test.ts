/**
 * XAUTH client credentials and answers (draft-ietf-ipsec-isakmp-xauth-06 §4.2, §6.2) against
 * hand-built attribute values: XAUTH_TYPE 16520 (generic = 0), USER_NAME 16521, USER_PASSWORD
 * 16522, STATUS 16527.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectionConfig, EspritConfig } from '../config/swanctl/swanctl-model.js';
import { toHex } from '../util/hex.js';
import { xauthCredentials, xauthReply, xauthStatus } from './xauth-client.js';

const utf8 = new TextEncoder();
const conn = (xauthId?: string) =>
  ({ local: [{ auth: 'psk' }, { auth: 'xauth', ...(xauthId ? { xauthId } : {}) }] }) as unknown as ConnectionConfig;
const config = (secrets: [string, string][]) =>
  ({
    secrets: { xauth: secrets.map(([id, pw]) => ({ ids: [id], secret: utf8.encode(pw) })) },
  }) as unknown as EspritConfig;

test('credentials: the secret of xauth_id; without xauth_id only a single xauth secret', () => {
  const two = config([
    ['alice', 'a-pw'],
    ['bob', 'b-pw'],
  ]);
  const c = xauthCredentials(conn('bob'), two);
  assert.ok(typeof c !== 'string');
  assert.equal(c.user, 'bob');
  assert.equal(new TextDecoder().decode(c.password), 'b-pw');
  assert.equal(xauthCredentials(conn('carol'), two), "no xauth secret for 'carol'");
  assert.equal(xauthCredentials(conn(), two), 'no xauth_id and not exactly one xauth secret with an id');
  const one = xauthCredentials(conn(), config([['alice', 'a-pw']]));
  assert.ok(typeof one !== 'string' && one.user === 'alice');
  assert.equal(
    xauthCredentials({ local: [{ auth: 'psk' }] } as unknown as ConnectionConfig, two),
    'no local XAUTH round',
  );
});

test('the reply: type echoed as TV 0, name and password as asked; other XAUTH types refused; status', () => {
  const creds = { user: 'alice', password: utf8.encode('pw') };
  const req = [
    { type: 16520, form: 'tv' as const, value: new Uint8Array([0, 0]) },
    { type: 16524, form: 'tlv' as const, value: utf8.encode('Enter your password') },
    { type: 16521, form: 'tlv' as const, value: new Uint8Array(0) },
    { type: 16522, form: 'tlv' as const, value: new Uint8Array(0) },
  ];
  const r = xauthReply(req, creds);
  assert.ok(typeof r !== 'string');
  assert.deepEqual(
    r.map((a) => [a.type, a.form, toHex(a.value)]),
    [
      [16520, 'tv', '0000'],
      [16521, 'tlv', '616c696365'],
      [16522, 'tlv', '7077'],
    ],
  );
  // XAUTH_TYPE 1 = RADIUS-CHAP (xauth-06 §4.2): not supported
  assert.equal(
    xauthReply([{ type: 16520, form: 'tv', value: new Uint8Array([0, 1]) }], creds),
    'XAUTH type 1 (only generic, 0, is supported)',
  );
  assert.equal(xauthStatus([{ type: 16527, form: 'tv', value: new Uint8Array([0, 1]) }]), 1);
  assert.equal(xauthStatus([{ type: 16527, form: 'tv', value: new Uint8Array([0, 0]) }]), 0);
  assert.equal(xauthStatus([]), undefined);
});
