/**
 * swanctl.conf loading: strongSwan configs load unchanged (the benchmark's and the demo's,
 * which strongSwan 5.9.8 loads in the netns tests); defaults as swanctl.conf(5) of 5.9.8
 * states them (quoted); errors name file, line, column and key path.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadSwanctl } from './swanctl-load.js';

const repo = (p: string): string => readFileSync(new URL(`../../../../${p}`, import.meta.url), 'utf8');

function memFs(files: Record<string, string>) {
  return {
    readFile: (p: string) => {
      const f = files[p];
      if (f === undefined) throw new Error(`ENOENT ${p}`);
      return f;
    },
    glob: (p: string) =>
      Object.keys(files)
        .filter((f) => (p.includes('*') ? f.startsWith(p.slice(0, p.indexOf('*'))) : f === p))
        .sort(),
    dirname: (p: string) => p.slice(0, p.lastIndexOf('/')) || '/',
    resolve: (d: string, p: string) => (p.startsWith('/') ? p : `${d}/${p}`),
    exists: (p: string) => files[p] !== undefined,
    listDir: () => [],
  };
}

function load(text: string, extra: Record<string, string> = {}) {
  return loadSwanctl('/etc/swanctl/swanctl.conf', memFs({ '/etc/swanctl/swanctl.conf': text, ...extra }));
}

test('strongSwan configs load unchanged: the benchmark gateway/client and the demo files', () => {
  for (const f of [
    'bench/tunnel/strongswan/gw/swanctl.conf',
    'bench/tunnel/strongswan/client/swanctl.conf',
    'examples/demo/gateway.conf',
    'examples/demo/client.conf',
  ]) {
    const r = load(repo(f));
    assert.deepEqual(
      r.errors.map((e) => e.message),
      [],
      f,
    );
    assert.ok(r.config && r.config.connections.length === 1, f);
  }
  const gw = load(repo('bench/tunnel/strongswan/gw/swanctl.conf')).config;
  const c = gw?.connections[0];
  assert.equal(c?.name, 'bench');
  assert.equal(c?.version, 2);
  assert.equal(c?.local[0]?.auth, 'psk');
  assert.equal(c?.remote[0]?.id, 'client.bench');
  assert.deepEqual(c?.children[0]?.remoteTs, ['10.99.4.1/32']);
  assert.deepEqual(gw?.secrets.ike[0]?.ids, ['gw.bench', 'client.bench']);
  assert.equal(new TextDecoder().decode(gw?.secrets.ike[0]?.secret), 'bench-ikev2-psk-0123456789');
});

test('defaults of swanctl.conf(5), strongSwan 5.9.8', () => {
  const r = load('connections {\n  a {\n    children {\n      c {\n      }\n    }\n  }\n}\n');
  const c = r.config?.connections[0];
  assert.ok(c);
  // "local_addrs = %any", "remote_addrs = %any", "local_port = 500", "remote_port = 500"
  assert.deepEqual([c.localAddrs, c.remoteAddrs, c.localPort, c.remotePort], [['%any'], ['%any'], 500, 500]);
  // "rekey_time = 4h", "over_time = 10% of rekey_time/reauth_time", "rand_time = over_time"
  assert.deepEqual([c.rekeyTime, c.overTime, c.randTime], [14400, 1440, 1440]);
  // "keyingtries = 1", "unique = no", "encap = no", "mobike = yes", "fragmentation = yes", "send_certreq = yes", "send_cert = ifasked"
  assert.deepEqual(
    [c.keyingtries, c.unique, c.encap, c.mobike, c.fragmentation, c.sendCertreq, c.sendCert],
    [1, 'no', false, true, 'yes', true, 'ifasked'],
  );
  // "<conn>.local<suffix>.auth = pubkey"
  assert.equal(c.local[0]?.auth, 'pubkey');
  const ch = c.children[0];
  assert.ok(ch);
  // "local_ts = dynamic", "remote_ts = dynamic", "rekey_time = 1h", "life_time = rekey_time + 10%",
  // "rand_time = life_time - rekey_time", "mode = tunnel", "start_action = none", "dpd_action = clear", "replay_window = 32"
  assert.deepEqual(
    [ch.localTs, ch.remoteTs, ch.rekeyTime, ch.lifeTime, ch.randTime],
    [['dynamic'], ['dynamic'], 3600, 3960, 360],
  );
  assert.deepEqual(
    [ch.mode, ch.startAction, ch.dpdAction, ch.replayWindow, ch.policies],
    ['tunnel', 'none', 'clear', 32, true],
  );
  assert.equal(r.config?.host.tunName, 'esp0');
});

test('an unknown key names file, line, column and path, with a did-you-mean; every error is reported', () => {
  const text = [
    'connections {',
    '  home {',
    '    remote_addrs = 192.0.2.1',
    '    children {',
    '      net {',
    '        esp_propsals = aes128gcm16',
    '        start_action = sometimes',
    '      }',
    '    }',
    '    dscp = 000000',
    '    proposals = aes128-sha256-modp2048-bogus',
    '  }',
    '}',
  ].join('\n');
  const r = load(text);
  assert.equal(r.config, undefined);
  const msgs = r.errors.map((e) => e.message);
  assert.ok(
    msgs.includes(
      '/etc/swanctl/swanctl.conf:6:9: connections.home.children.net.esp_propsals: unknown key (did you mean esp_proposals?)',
    ),
    msgs.join('\n'),
  );
  assert.ok(
    msgs.some((m) => m.startsWith('/etc/swanctl/swanctl.conf:7:9: connections.home.children.net.start_action:')),
  );
  assert.ok(msgs.includes('/etc/swanctl/swanctl.conf:10:5: connections.home.dscp: not supported by esprit'));
  assert.ok(msgs.some((m) => m.startsWith('/etc/swanctl/swanctl.conf:11:5: connections.home.proposals:')));
  assert.equal(msgs.length, 4);
});

test('syntax: quoted strings with escapes, comments, includes, merged sections; an unclosed section is an error', () => {
  const r = load(
    'include conf.d/*.conf\nsecrets {\n  ike-1 {\n    secret = "a \\"quoted\\" # not a comment"  # a comment\n  }\n}\n',
    {
      '/etc/swanctl/conf.d/a.conf': 'connections {\n  a {\n    remote_addrs = 10.0.0.1\n  }\n}\n',
      '/etc/swanctl/conf.d/b.conf': 'connections {\n  a {\n    local_addrs = 10.0.0.2\n  }\n}\n',
    },
  );
  assert.deepEqual(
    r.errors.map((e) => e.message),
    [],
  );
  assert.equal(new TextDecoder().decode(r.config?.secrets.ike[0]?.secret), 'a "quoted" # not a comment');
  assert.deepEqual(r.config?.connections[0]?.remoteAddrs, ['10.0.0.1']);
  assert.deepEqual(r.config?.connections[0]?.localAddrs, ['10.0.0.2']);
  const two = load(
    'connections {\n  a {\n    children {\n      c {\n        remote_ts = 10.99.3.0/24, fd99:3::/64\n      }\n    }\n  }\n}\n',
  );
  assert.deepEqual(two.config?.connections[0]?.children[0]?.remoteTs, ['10.99.3.0/24', 'fd99:3::/64']);
  const bad = load('connections {\n  a {\n');
  assert.match(bad.errors[0]?.message ?? '', /swanctl\.conf:2:3: .*section 'a' is not closed/);
});

test('secrets: 0x hex and 0s base64; the esprit host section', () => {
  const r = load(
    'secrets {\n  ike-a {\n    id = a\n    secret = 0x0102ff\n  }\n  ike-b {\n    secret = 0sAQL/\n  }\n}\nesprit {\n  tun {\n    name = vpn0\n    mtu = 1380\n  }\n  save_keys = /var/lib/esprit/keys\n}\n',
  );
  assert.deepEqual(r.errors, []);
  assert.deepEqual([...(r.config?.secrets.ike[0]?.secret ?? [])], [1, 2, 255]);
  assert.deepEqual([...(r.config?.secrets.ike[1]?.secret ?? [])], [1, 2, 255]);
  assert.equal(r.config?.host.tunName, 'vpn0');
  assert.equal(r.config?.host.tunMtu, 1380);
  assert.equal(r.config?.host.saveKeys, '/var/lib/esprit/keys');
});
