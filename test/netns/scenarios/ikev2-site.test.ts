import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { useLab } from './scenario.js';
import { ping } from './traffic.js';

// Site to site without virtual IPs, through the lab NAT: the client's lo address 10.99.4.1
// and the gateway's 10.99.3.0/24.
//  - start_action = trap on the client: the first packet raises ipsecd's ACQUIRE, IKE comes
//    up, the held packet leaves once the SAs are installed (no `esprit up`).
//  - start_action = start on the client: the tunnel comes up when the daemon starts.
const skip = requireScenarioSystem();
const scenario = useLab('ike2s2s-', { skip });

const GW = `
connections {
  site {
    local_addrs = ${LAB.gw.v4}
    local {
      auth = psk
      id = gw.esprit.test
    }
    remote {
      auth = psk
      id = client.esprit.test
    }
    children {
      net {
        local_ts = 10.99.3.0/24
        remote_ts = 10.99.4.0/24
      }
    }
  }
}
secrets {
  ike-s2s {
    id-a = gw.esprit.test
    id-b = client.esprit.test
    secret = "esprit site psk"
  }
}
`;

const client = (startAction: string, closeAction = 'none'): string => `
connections {
  site {
    local_addrs = ${LAB.client.v4}
    remote_addrs = ${LAB.gw.v4}
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
        local_ts = 10.99.4.1/32
        remote_ts = 10.99.3.0/24
        start_action = ${startAction}
        close_action = ${closeAction}
      }
    }
  }
}
secrets {
  ike-s2s {
    id-a = gw.esprit.test
    id-b = client.esprit.test
    secret = "esprit site psk"
  }
}
`;

test('start_action = trap: the first packet starts IKE through ACQUIRE and is delivered', { skip }, async () => {
  const l = scenario.lab;
  const gw = await IkeHost.start(l, 'gw', GW);
  const c = await IkeHost.start(l, 'client', client('trap'));
  try {
    assert.deepEqual(await c.listSas(), [], 'nothing negotiated before traffic');
    const p = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 3, waitS: 5 });
    assert.ok(p.received >= 2, `the ACQUIRE-triggered tunnel carries the pings: ${p.output}\n${c.proc.stderr}`);
    const [cs] = await c.listSas();
    assert.equal(cs?.state, 'established');
    assert.deepEqual(cs?.children[0]?.localTs, ['10.99.4.1/32']);
    assert.deepEqual(cs?.children[0]?.remoteTs, ['10.99.3.0/24']);
    assert.ok((cs?.children[0]?.packetsOut ?? 0) >= 2);
  } finally {
    await c.stop();
    await gw.stop();
  }
});

test('start_action = start: the tunnel comes up when the daemon starts', { skip }, async () => {
  const l = scenario.lab;
  const gw = await IkeHost.start(l, 'gw', GW);
  const c = await IkeHost.start(l, 'client', client('start'));
  try {
    let sas = await c.listSas();
    for (let i = 0; i < 50 && sas[0]?.children.length !== 1; i++) {
      await new Promise((r) => setTimeout(r, 100));
      sas = await c.listSas();
    }
    assert.equal(sas[0]?.state, 'established', c.proc.stderr);
    const p = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 3 });
    assert.equal(p.received, 3, p.output);
  } finally {
    await c.stop();
    await gw.stop();
  }
});

test('close_action = start: when the gateway deletes the IKE SA, the client connects again', { skip }, async () => {
  const l = scenario.lab;
  const gw = await IkeHost.start(l, 'gw', GW);
  const c = await IkeHost.start(l, 'client', client('none', 'start'));
  try {
    assert.equal((await c.up('site')).code, 0);
    const first = (await c.listSas())[0]?.spiI;
    const down = await gw.cli(['down', 'site']);
    assert.equal(down.code, 0, down.stderr);
    let sas = await c.listSas();
    for (let i = 0; i < 50 && (sas[0]?.spiI === first || sas[0]?.children.length !== 1); i++) {
      await new Promise((r) => setTimeout(r, 100));
      sas = await c.listSas();
    }
    assert.equal(sas.length, 1);
    assert.notEqual(sas[0]?.spiI, first, 'a new IKE SA');
    assert.equal(sas[0]?.children.length, 1);
    const p = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 3 });
    assert.equal(p.received, 3, p.output);
  } finally {
    await c.stop();
    await gw.stop();
  }
});
