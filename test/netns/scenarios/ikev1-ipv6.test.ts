import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { useLab } from './scenario.js';
import { StrongSwanHost } from './strongswan-host.js';
import { ping, waitForPing } from './traffic.js';

// IKEv1 over an IPv6 outer path: esprit client (fd99:1::2, leaving the lab's NAT66 as
// fd99:2::1 with a random port) -> strongSwan 5.9.8 gateway (fd99:2::2, kernel-libipsec), Main
// Mode PSK with RFC 3947 NAT-T (NAT-D over the IPv6 addresses, float to 4500), Quick Mode with
// IPv6 identities (ID_IPV6_ADDR / ID_IPV6_ADDR_SUBNET, RFC 2407 §4.6.2.1) for an IPv6 child and
// IPv4 ones for an IPv4 child over the same ISAKMP SA; ping of both families through it.
const skip = requireScenarioSystem(['/usr/lib/ipsec/charon', 'swanctl']);
const scenario = useLab('ike1v6-', { skip });

const PSK = 'esprit-ikev1-ipv6-0123456789';
const conf = (side: 'client' | 'gw'): string => `connections {
  v1v6 {
    version = 1
    ${side === 'client' ? `local_addrs = ${LAB.client.v6}\n    remote_addrs = ${LAB.gw.v6}` : `local_addrs = ${LAB.gw.v6}`}
    proposals = aes128-sha256-modp2048
    local {
      auth = psk
      id = ${side === 'client' ? 'client-v1.lab' : 'gw.lab'}
    }
    remote {
      auth = psk
      id = ${side === 'client' ? 'gw.lab' : 'client-v1.lab'}
    }
    children {
      net6 {
        local_ts = ${side === 'client' ? `${LAB.client.lan6}/128` : 'fd99:3::/64'}
        remote_ts = ${side === 'client' ? 'fd99:3::/64' : `${LAB.client.lan6}/128`}
        esp_proposals = aes128-sha1
      }
      net4 {
        local_ts = ${side === 'client' ? `${LAB.client.lan4}/32` : '10.99.3.0/24'}
        remote_ts = ${side === 'client' ? '10.99.3.0/24' : `${LAB.client.lan4}/32`}
        esp_proposals = aes128-sha1
      }
    }
  }
}
secrets {
  ike-v1 {
    id-a = gw.lab
    id-b = client-v1.lab
    secret = "${PSK}"
  }
}
`;

test('esprit IKEv1 client over IPv6 through NAT66 -> strongSwan gateway: Main Mode PSK, Quick Mode for an IPv6 and an IPv4 child, pings of both families', {
  skip,
}, async () => {
  const l = scenario.lab;
  const gw = await StrongSwanHost.start(l, 'gw', conf('gw'));
  const client = await IkeHost.start(l, 'client', conf('client'));
  const why = () => `--- esprit ---\n${client.proc.stderr.slice(-6000)}\n--- charon ---\n${gw.log(200)}`;
  try {
    const up = await client.up('v1v6');
    assert.equal(up.code, 0, `esprit up failed: ${up.stdout}${up.stderr}\n${why()}`);
    const [cs] = await client.listSas();
    assert.ok(cs, why());
    assert.equal(cs.state, 'established');
    assert.deepEqual([cs.local.address, cs.local.port], [LAB.client.v6, 4500], why());
    assert.deepEqual([cs.remote.address, cs.remote.port], [LAB.gw.v6, 4500]);
    assert.equal(cs.localBehindNat, true, 'NAT66 seen through the NAT-D hashes over IPv6 addresses');
    assert.deepEqual(cs.children.map((c) => c.name).sort(), ['net4', 'net6'], why());
    const sas = await gw.listSas();
    assert.match(sas, /v1v6: #\d+, ESTABLISHED, IKEv1/, sas);
    assert.match(sas, new RegExp(`remote 'client-v1.lab' @ ${LAB.natWan.v6}\\[\\d+\\]`), sas);
    assert.match(sas, /net6: #\d+, reqid \d+, INSTALLED, TUNNEL-in-UDP/, sas);
    assert.match(sas, /net4: #\d+, reqid \d+, INSTALLED, TUNNEL-in-UDP/, sas);
    await waitForPing(l, 'client', LAB.client.lan6, LAB.gw.protected6, 10);
    const p6 = await ping(l, 'client', LAB.client.lan6, LAB.gw.protected6, { count: 5 });
    assert.equal(p6.received, 5, p6.output);
    await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4, 10);
    const p4 = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 5 });
    assert.equal(p4.received, 5, p4.output);
  } finally {
    await client.stop();
    await gw.stop();
  }
});
