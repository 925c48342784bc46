import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configFromText } from '../../../test/exchange/test-config.js';
import { renderSwanctl } from './profile.js';
import { importShrew } from './shrew-vpn.js';
import { importVpnc } from './vpnc-conf.js';

// The lab's vpnc profile (../shared/lab/vpnc/lab.conf), as vpnc reads it: Aggressive Mode,
// group "labgroup" (KEY_ID), XAUTH, DH group 2, PFS "server", NAT-T mode natt.
const LAB_VPNC = `# comment
IPSec gateway 10.99.2.2
IPSec ID labgroup
IPSec secret labgroup-secret
Xauth username labuser
Xauth password labuser-password
IKE DH Group dh2
Perfect Forward Secrecy server
NAT Traversal Mode natt
Interface name vpnc0
Local Port 500
DPD idle timeout (our side) 0
`;

test('vpnc: the lab profile becomes an IKEv1 Aggressive Mode + XAUTH + Mode Config connection that esprit loads', () => {
  const r = importVpnc(LAB_VPNC, 'lab');
  assert.deepEqual(r.errors, []);
  assert.ok(r.profile);
  const text = renderSwanctl(r.profile, 'vpnc lab.conf');
  assert.equal(
    text,
    `# esprit connection imported from vpnc lab.conf
# not translated: Perfect Forward Secrecy server: both with the phase 1 group and without are offered
# not translated: Interface name (a setting of the vpnc process)
connections {
  lab {
    version = 1
    aggressive = yes
    remote_addrs = 10.99.2.2
    proposals = aes256-aes192-aes128-3des-sha1-md5-modp1024
    vips = 0.0.0.0
    local {
      auth = psk
      id = keyid:labgroup
    }
    local-xauth {
      auth = xauth
      xauth_id = labuser
    }
    remote {
      auth = psk
    }
    children {
      lab {
        remote_ts = 0.0.0.0/0
        esp_proposals = aes256-aes192-aes128-3des-sha1-md5-modp1024, aes256-aes192-aes128-3des-sha1-md5
      }
    }
  }
}
secrets {
  ike-lab {
    id = keyid:labgroup
    secret = "labgroup-secret"
  }
  xauth-lab {
    id = labuser
    secret = "labuser-password"
  }
}
`,
  );
  const c = configFromText(text).connections[0];
  assert.ok(c);
  assert.deepEqual(
    [c.version, c.aggressive, c.nattMode, c.encap, c.ciscoUdpPort, c.dpdDelay],
    [1, true, 'all', false, 0, 0],
  );
  assert.deepEqual(c.vips, ['0.0.0.0']);
});

test("vpnc: each NAT Traversal Mode (natt, none, force-natt, cisco-udp with its port), vpnc's default DPD of 600 s", () => {
  const conf = (mode: string, extra = ''): string =>
    `IPSec gateway 192.0.2.1\nIPSec ID g\nIPSec secret s\nNAT Traversal Mode ${mode}\n${extra}`;
  const load = (text: string) => {
    const r = importVpnc(text, 'x');
    assert.deepEqual(r.errors, []);
    return configFromText(renderSwanctl(r.profile as never, 't')).connections[0];
  };
  const natt = load(conf('natt'));
  assert.deepEqual([natt?.nattMode, natt?.encap, natt?.ciscoUdpPort, natt?.dpdDelay], ['all', false, 0, 600]);
  const none = load(conf('none'));
  assert.deepEqual([none?.nattMode, none?.encap], ['none', false]);
  const force = load(conf('force-natt'));
  assert.deepEqual([force?.nattMode, force?.encap], ['all', true]);
  const cisco = load(conf('cisco-udp'));
  assert.deepEqual([cisco?.nattMode, cisco?.ciscoUdpPort], ['none', 10000], "vpnc's --udp-port default");
  const cisco2 = load(conf('cisco-udp', 'Cisco UDP Encapsulation Port 10001\n'));
  assert.equal(cisco2?.ciscoUdpPort, 10001);
});

test('vpnc: obfuscated secrets are decoded; unknown settings, bad groups and modes are errors', () => {
  const r = importVpnc(
    // test/vectors/gen/cisco-obfuscated.py ("labgroup-secret", checked with cisco-decrypt)
    'IPSec gateway gw.example\nIPSec ID g\nIPSec obfuscated secret 86F7E437FAA5A7FCE15D1DDCB9EAEAEA377667B855190AF08FB7F0FB113ED672ED0CD2257C2FC6DC23E337B5A55AE6DABD815D0C48E35494\nPerfect Forward Secrecy dh5\nIKE DH Group dh14\n',
    'x',
  );
  assert.equal(r.profile?.psk, 'labgroup-secret');
  assert.equal(r.profile?.ikeProposals, 'aes256-aes192-aes128-3des-sha1-md5-modp2048');
  assert.equal(r.profile?.espProposals, 'aes256-aes192-aes128-3des-sha1-md5-modp1536');
  const bad = importVpnc('IPSec gateway 1.2.3.4\nIKE DH Group dh3\nNAT Traversal Mode cisco-tcp\nFrobnicate 1\n', 'x');
  assert.deepEqual(bad.errors, [
    "line 4: unknown vpnc setting 'Frobnicate 1'",
    "'IKE DH Group dh3' is not one of dh1/dh2/dh5/dh14..dh18",
    "'NAT Traversal Mode cisco-tcp' is not natt, none, force-natt or cisco-udp",
  ]);
  assert.equal(bad.profile, undefined);
});

// A Shrew Soft site file as libike's file_vpn_save writes it (s:/n:/b: lines; the PSK base64).
const SHREW = (natt: string, extra = ''): string =>
  [
    'n:version:4',
    's:network-host:vpn.example.com',
    'n:network-ike-port:500',
    'n:network-mtu-size:1380',
    's:client-auto-mode:pull',
    `s:network-natt-mode:${natt}`,
    'n:network-natt-port:4500',
    'n:network-natt-rate:15',
    's:network-frag-mode:disable',
    'n:network-dpd-enable:1',
    's:auth-method:mutual-psk-xauth',
    's:ident-client-type:keyid',
    's:ident-client-data:labgroup',
    's:ident-server-type:any',
    `b:auth-mutual-psk:${Buffer.from('labgroup-secret').toString('base64')}`,
    's:phase1-exchange:aggressive',
    's:phase1-cipher:aes',
    'n:phase1-keylen:256',
    's:phase1-hash:sha1',
    'n:phase1-dhgroup:2',
    'n:phase1-life-secs:86400',
    's:phase2-transform:esp-aes',
    'n:phase2-keylen:128',
    's:phase2-hmac:sha1',
    'n:phase2-pfsgroup:0',
    'n:phase2-life-secs:3600',
    's:policy-level:auto',
    'n:policy-list-auto:0',
    's:policy-list-include:10.1.0.0 / 255.255.0.0,192.168.7.0 / 255.255.255.0',
    extra,
  ].join('\r\n');

test('shrew: a mutual-psk-xauth Aggressive Mode site with a manual include list', () => {
  const r = importShrew(SHREW('enable'), 'office');
  assert.deepEqual(r.errors, []);
  const p = r.profile;
  assert.ok(p);
  assert.deepEqual(
    [
      p.gateway,
      p.aggressive,
      p.localId,
      p.psk,
      p.ikeProposals,
      p.espProposals,
      p.ikeLifetime,
      p.espLifetime,
      p.dpdDelay,
    ],
    [
      'vpn.example.com',
      true,
      'keyid:labgroup',
      'labgroup-secret',
      'aes256-sha1-modp1024',
      'aes128-sha1',
      86400,
      3600,
      15,
    ],
  );
  assert.deepEqual(p.remoteTs, ['10.1.0.0/16', '192.168.7.0/24']);
  assert.ok(p.notes.includes('network-natt-rate 15 (set esprit { keepalive_interval = 15s } for the host)'));
  const c = configFromText(renderSwanctl(p, 'shrew office.vpn')).connections[0];
  assert.deepEqual([c?.version, c?.aggressive, c?.nattMode, c?.encap, c?.dpdDelay], [1, true, 'all', false, 15]);
  assert.deepEqual(c?.children[0]?.remoteTs, ['10.1.0.0/16', '192.168.7.0/24']);
});

test('shrew: every network-natt-mode (disable, enable, force, force-rfc, force-draft, force-cisco-udp)', () => {
  const load = (mode: string) => {
    const r = importShrew(SHREW(mode), 'o');
    assert.deepEqual(r.errors, []);
    return configFromText(renderSwanctl(r.profile as never, 't')).connections[0];
  };
  const got = (mode: string) => {
    const c = load(mode);
    return [c?.nattMode, c?.encap, c?.ciscoUdpPort];
  };
  assert.deepEqual(got('disable'), ['none', false, 0]);
  assert.deepEqual(got('enable'), ['all', false, 0]);
  // protocol-facts §1.6: Shrew force-rfc sends the 02(\n), 03 and RFC VIDs, force-draft 00 and 01
  assert.deepEqual(got('force'), [['rfc', 'draft-03', 'draft-02n'], true, 0]);
  assert.deepEqual(got('force-rfc'), [['rfc', 'draft-03', 'draft-02n'], true, 0]);
  assert.deepEqual(got('force-draft'), [['draft-01', 'draft-00'], true, 0]);
  assert.deepEqual(got('force-cisco-udp'), ['none', false, 4500]);
  assert.deepEqual(importShrew(SHREW('sometimes'), 'o').errors, [
    'network-natt-mode sometimes is not disable, enable, force, force-draft, force-rfc or force-cisco-udp',
  ]);
});

test('the lab vpnc file itself imports (../shared/lab/vpnc/lab.conf, when present)', () => {
  let text: string;
  try {
    text = readFileSync(new URL('../../../../../shared/lab/vpnc/lab.conf', import.meta.url), 'latin1');
  } catch {
    text = LAB_VPNC;
  }
  const r = importVpnc(text, 'lab');
  assert.deepEqual(r.errors, []);
  assert.equal(r.profile?.localId, 'keyid:labgroup');
});

test('esprit import vpnc FILE: the connection on stdout, what was not translated on stderr; errors exit 1', async () => {
  const { execFile } = await import('node:child_process');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const main = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'esprit-import-'));
  const good = join(dir, 'Office VPN.conf');
  writeFileSync(good, LAB_VPNC);
  const bad = join(dir, 'bad.conf');
  writeFileSync(bad, 'IPSec gateway 1.2.3.4\nNAT Traversal Mode sometimes\n');
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [main, 'import', ...args], (e, stdout, stderr) =>
        resolve({ code: e ? Number(e.code) : 0, stdout, stderr }),
      ),
    );
  const ok = await run(['vpnc', good]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^# esprit connection imported from vpnc .*Office VPN.conf\n/);
  assert.match(ok.stdout, /\nconnections \{\n {2}office-vpn \{\n/);
  assert.match(ok.stderr, /not translated: Interface name/);
  const ko = await run(['vpnc', bad]);
  assert.equal(ko.code, 1);
  assert.match(ko.stderr, /'NAT Traversal Mode sometimes' is not natt, none, force-natt or cisco-udp/);
  assert.equal(ko.stdout, '');
});
