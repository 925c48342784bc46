import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireScenarioSystem } from './esprit-node.js';
import { useLab } from './scenario.js';
import { StrongSwanHost } from './strongswan-host.js';

// IKEv1 Main Mode PSK between esprit's engine alone (test/netns/ikev1-peer.ts on real sockets,
// without ipsecd; the daemon with Quick Mode is ikev1-iked.test.ts) and strongSwan 5.9.8
// through the lab NAT, both roles:
//  1. esprit behind the NAT -> charon gw: RFC 3947 chosen, NAT detected, IKE floats to 4500
//     at MM5, charon lists the IKEv1 SA as established with the NAT's address.
//  2. charon behind the NAT -> esprit gw: esprit answers MM6 on the port pair MM5 came from.
// Only the ISAKMP SA is checked here (the peer runner has no PF_KEY for Quick Mode).
const skip = requireScenarioSystem(['/usr/lib/ipsec/charon', 'swanctl', 'node']);
const scenario = useLab('ike1mm-', { skip });

const PSK = 'esprit-ikev1-mm-0123456789';
const conf = (side: 'client' | 'gw', children: boolean): string => `connections {
  v1 {
    version = 1
    ${side === 'client' ? 'local_addrs = 10.99.1.2\n    remote_addrs = 10.99.2.2' : 'local_addrs = 10.99.2.2'}
    proposals = aes128-sha256-modp2048, aes256-sha1-modp1024
    local {
      auth = psk
      id = ${side === 'client' ? 'client-v1.lab' : 'gw.lab'}
    }
    remote {
      auth = psk
      id = ${side === 'client' ? 'gw.lab' : 'client-v1.lab'}
    }
${
  children
    ? `    children {
      net {
        local_ts = ${side === 'client' ? '10.99.4.1/32' : '10.99.3.0/24'}
        remote_ts = ${side === 'client' ? '10.99.3.0/24' : '10.99.4.1/32'}
      }
    }
`
    : ''
}  }
}
secrets {
  ike-v1 {
    id-a = gw.lab
    id-b = client-v1.lab
    secret = "${PSK}"
  }
}
`;

const peerScript = new URL('../ikev1-peer.js', import.meta.url).pathname;

test('esprit Main Mode initiator behind the NAT -> strongSwan gw: established, RFC 3947, floated to 4500', {
  skip,
}, async () => {
  const l = scenario.lab;
  const gw = await StrongSwanHost.start(l, 'gw', conf('gw', true));
  try {
    const file = join(l.tmp, 'esprit-client.conf');
    writeFileSync(file, conf('client', false));
    const r = await l.exec('client', ['node', peerScript, file, 'v1', '10.99.1.2', '10.99.2.2'], {
      allowFail: true,
      timeoutMs: 40_000,
    });
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    assert.equal(out.ok, true, `${r.stdout}${r.stderr}\n--- charon ---\n${gw.log()}`);
    assert.equal(out.natt, 'rfc');
    assert.equal(out.localBehindNat, true);
    assert.equal(out.localPort, 4500);
    assert.equal(out.remotePort, 4500);
    const sas = await gw.listSas();
    assert.match(sas, /v1: #\d+, ESTABLISHED, IKEv1/, sas);
    assert.match(sas, /remote 'client-v1\.lab' @ 10\.99\.2\.1\[\d+\]/, sas);
    assert.match(sas, /local {2}'gw\.lab' @ 10\.99\.2\.2\[4500\]/, sas);
    // charon's view of what esprit sent, in the same notation esprit logs
    assert.match(gw.log(400), /parsed ID_PROT request 0 \[ SA V V V V V V V V \]/);
    assert.match(gw.log(400), /parsed ID_PROT request 0 \[ ID HASH \]/);
  } finally {
    await gw.stop();
  }
});

test('strongSwan Main Mode initiator behind the NAT -> esprit gw: established on both sides', { skip }, async () => {
  const l = scenario.lab;
  const file = join(l.tmp, 'esprit-gw.conf');
  writeFileSync(file, conf('gw', false));
  const esprit = l.spawn('gw', ['node', peerScript, file, '-', '10.99.2.2', '0.0.0.0']);
  await esprit.waitForLine(/"listening"/, 10_000);
  const client = await StrongSwanHost.start(l, 'client', conf('client', false));
  try {
    const init = await client.charon
      .swanctl('--initiate', ['--ike', 'v1', '--timeout', '20'], 30_000)
      .catch((e: unknown) => ({ code: 1, stdout: '', stderr: String(e) }));
    const line = await esprit.waitForLine(/"ok"/, 35_000);
    const out = JSON.parse(line) as Record<string, unknown>;
    assert.equal(
      out.ok,
      true,
      `${line}${esprit.stderr}\n--- charon ---\n${client.log()}\n${init.stdout}${init.stderr}`,
    );
    assert.equal(out.natt, 'rfc');
    assert.equal(out.remoteBehindNat, true);
    assert.equal(out.localPort, 4500);
    const sas = await client.listSas();
    assert.match(sas, /v1: #\d+, ESTABLISHED, IKEv1/, `${sas}\n--- charon ---\n${client.log(200)}`);
  } finally {
    await client.stop();
    esprit.kill();
  }
});
