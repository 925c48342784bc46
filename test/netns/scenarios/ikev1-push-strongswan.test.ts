import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { pollFor, requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { useLab } from './scenario.js';
import { StrongSwanHost } from './strongswan-host.js';
import { ping, waitForPing } from './traffic.js';

// strongSwan 5.9.8 (kernel-libipsec) as an IKEv1 XAUTH client with Mode Config PUSH (`pull = no`
// on both sides) -> esprit gateway, through the lab NAT (issue 9): Aggressive Mode with the
// group PSK (keyid:labgroup), XAUTH generic, then the gateway's CFG_SET (virtual IP from the
// pool, DNS) and charon's CFG_ACK (mode-cfg-05 §3.3), Quick Mode for the virtual IP, ping through.
const skip = requireScenarioSystem(['/usr/lib/ipsec/charon', 'swanctl']);
const scenario = useLab('ike1push-', { skip });

const GW = `connections {
  push {
    version = 1
    aggressive = yes
    pull = no
    local_addrs = 10.99.2.2
    proposals = aes128-sha256-modp2048
    pools = pool4
    local {
      auth = psk
      id = gw.lab
    }
    remote {
      auth = psk
      id = keyid:labgroup
    }
    remote-xauth {
      auth = xauth
      xauth_id = labuser
    }
    children {
      net {
        local_ts = 10.99.3.0/24
        esp_proposals = aes128-sha1
      }
    }
  }
}
pools {
  pool4 {
    addrs = 10.99.100.0/24
    dns = 10.99.3.53
  }
}
secrets {
  ike-group {
    id = keyid:labgroup
    secret = "labgroup-secret"
  }
  xauth-labuser {
    id = labuser
    secret = "labuser-password"
  }
}
`;

const CLIENT = `connections {
  push {
    version = 1
    aggressive = yes
    pull = no
    local_addrs = 10.99.1.2
    remote_addrs = 10.99.2.2
    vips = 0.0.0.0
    proposals = aes128-sha256-modp2048
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
      id = gw.lab
    }
    children {
      net {
        remote_ts = 10.99.3.0/24
        esp_proposals = aes128-sha1
      }
    }
  }
}
secrets {
  ike-group {
    id = keyid:labgroup
    secret = "labgroup-secret"
  }
  xauth-labuser {
    id = labuser
    secret = "labuser-password"
  }
}
`;

test('strongSwan IKEv1 client (Aggressive Mode, XAUTH, Mode Config push) -> esprit gateway: CFG_SET acknowledged, virtual IP in use, ping through', {
  skip,
}, async () => {
  const l = scenario.lab;
  const gw = await IkeHost.start(l, 'gw', GW);
  const ss = await StrongSwanHost.start(l, 'client', CLIENT, {}, 2, ['xauth-generic']);
  try {
    const r = await ss.initiate('net', 'push');
    const why = () => `--- charon ---\n${ss.log(300)}\n--- esprit ---\n${gw.proc.stderr.slice(-8000)}`;
    assert.equal(r.code, 0, `swanctl --initiate failed:\n${r.stdout}${r.stderr}\n${why()}`);
    // charon logs the push it processed (its ModeConfig responder) and the address it took
    assert.match(ss.log(400), /parsed TRANSACTION request \d+ \[ HASH CPS\(ADDR DNS/, why());
    assert.match(ss.log(400), /generating TRANSACTION response \d+ \[ HASH CPA/, why());
    assert.match(ss.log(400), /installing new virtual IP 10\.99\.100\.1/, why());
    assert.match(gw.proc.stderr, /Mode Config push acknowledged/);
    const [gs] = await gw.listSas();
    assert.ok(gs, why());
    assert.equal(gs.remoteId, 'keyid:labgroup');
    assert.deepEqual(gs.vipsRemote, ['10.99.100.1']);
    const child = await pollFor(async () => (await gw.listSas())[0]?.children[0], 10_000);
    assert.ok(child, why());
    assert.deepEqual(child.remoteTs, ['10.99.100.1/32']);
    await waitForPing(l, 'client', '10.99.100.1', LAB.gw.protected4, 10);
    const p = await ping(l, 'client', '10.99.100.1', LAB.gw.protected4, { count: 3 });
    assert.equal(p.received, 3, `${p.output}\n${why()}`);
  } finally {
    await ss.stop();
    await gw.stop();
  }
});
