import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { useLab } from './scenario.js';
import { ping, waitForPing } from './traffic.js';

// IKEv2 over an IPv6 outer path through the lab's NAT66 (masquerade, random ports): the
// client at fd99:1::2 leaves as fd99:2::1; virtual IPs of both families from the gateway's
// pools; IPv4 and IPv6 inner traffic through the one CHILD SA.
const skip = requireScenarioSystem();
const scenario = useLab('ike2v6-', { skip });

const GW6 = `
connections {
  rw6 {
    local_addrs = ${LAB.gw.v6}
    pools = rw4, rw6
    local {
      auth = psk
      id = gw.esprit.test
    }
    remote {
      auth = psk
    }
    children {
      net {
        local_ts = 10.99.3.0/24, fd99:3::/64
      }
    }
  }
}
pools {
  rw4 {
    addrs = 10.99.100.0/28
  }
  rw6 {
    addrs = fd99:100::/120
  }
}
secrets {
  ike-gw {
    id = gw.esprit.test
    secret = "esprit lab psk"
  }
}
`;

const CLIENT6 = `
connections {
  home6 {
    remote_addrs = ${LAB.gw.v6}
    vips = 0.0.0.0, ::
    local {
      auth = psk
      id = client.esprit.test
    }
    remote {
      auth = psk
      id = gw.esprit.test
    }
    children {
      net {
        remote_ts = 10.99.3.0/24, fd99:3::/64
      }
    }
  }
}
secrets {
  ike-gw {
    id = gw.esprit.test
    secret = "esprit lab psk"
  }
}
`;

test('IPv6 outer through NAT66: virtual IPv4 and IPv6 addresses, pings of both families through the tunnel', {
  skip,
}, async () => {
  const l = scenario.lab;
  const gw = await IkeHost.start(l, 'gw', GW6);
  const client = await IkeHost.start(l, 'client', CLIENT6);
  try {
    const up = await client.up('home6');
    assert.equal(up.code, 0, `up: ${up.stderr}\n--- client\n${client.proc.stderr}\n--- gw\n${gw.proc.stderr}`);
    const [cs] = await client.listSas();
    const [gs] = await gw.listSas();
    assert.ok(cs && gs);
    assert.equal(cs.remote.address, LAB.gw.v6);
    assert.equal(cs.local.port, 4500);
    assert.equal(gs.remote.address, LAB.natWan.v6, 'the gateway sees the NAT66 address');
    assert.equal(cs.localBehindNat, true);
    assert.deepEqual([...cs.vipsLocal].sort(), ['10.99.100.1', 'fd99:100::1']);
    const v4 = cs.vipsLocal.find((v) => !v.includes(':')) ?? '';
    const v6 = cs.vipsLocal.find((v) => v.includes(':')) ?? '';
    await waitForPing(l, 'client', v4, LAB.gw.protected4);
    const p4 = await ping(l, 'client', v4, LAB.gw.protected4, { count: 3 });
    assert.equal(p4.received, 3, p4.output);
    await waitForPing(l, 'client', v6, LAB.gw.protected6);
    const p6 = await ping(l, 'client', v6, LAB.gw.protected6, { count: 3 });
    assert.equal(p6.received, 3, p6.output);
  } finally {
    await client.stop();
    await gw.stop();
  }
});
