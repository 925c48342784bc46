import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { ESPRIT_MAIN, requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { clientConf, gwConf } from './ikev2-configs.js';
import { useLab } from './scenario.js';
import { ping, waitForPing } from './traffic.js';

// `esprit iked --config FILE --run-dir DIR` against a separately started
// `esprit ipsecd --tun esp0 --run-dir DIR`: the same PF_KEY and IKE channel sockets as
// `esprit start` uses inside one process. The client uses this pair; the gateway `esprit start`.
const skip = requireScenarioSystem();
const scenario = useLab('ike2sep-', { skip });

test('esprit iked with a separate esprit ipsecd (same --run-dir) brings the tunnel up', { skip }, async () => {
  const l = scenario.lab;
  const gw = await IkeHost.start(l, 'gw', gwConf());
  const dir = mkdtempSync(join(l.tmp, 'sep-'));
  const run = join(dir, 'run');
  const conf = join(dir, 'swanctl.conf');
  writeFileSync(conf, clientConf());
  const ipsecd = l.spawn('client', [process.execPath, ESPRIT_MAIN, 'ipsecd', '--tun', 'esp0', '--run-dir', run]);
  const waitFor = async (p: typeof ipsecd, line: string): Promise<void> => {
    for (let i = 0; i < 200 && !p.stderr.includes(line) && p.child.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(p.stderr.includes(line), p.stderr);
  };
  let daemon: typeof ipsecd | undefined;
  try {
    await waitFor(ipsecd, 'ipsecd: ready');
    daemon = l.spawn('client', [process.execPath, ESPRIT_MAIN, 'iked', '--config', conf, '--run-dir', run]);
    await waitFor(daemon, 'esprit: ready');
    const up = await l.exec('client', [process.execPath, ESPRIT_MAIN, 'up', 'home', '--run-dir', run], {
      allowFail: true,
      timeoutMs: 60_000,
    });
    assert.equal(up.code, 0, `${up.stderr}\n${daemon.stderr}`);
    const sas = JSON.parse(
      (await l.exec('client', [process.execPath, ESPRIT_MAIN, 'list-sas', '--json', '--run-dir', run])).stdout,
    ) as {
      vipsLocal: string[];
      children: { packetsOut: number }[];
    }[];
    const vip = sas[0]?.vipsLocal[0] ?? '';
    await waitForPing(l, 'client', vip, LAB.gw.protected4);
    const p = await ping(l, 'client', vip, LAB.gw.protected4, { count: 3 });
    assert.equal(p.received, 3, p.output);
    daemon.kill('SIGTERM');
    assert.equal((await daemon.exited).code, 0, 'iked exits cleanly on SIGTERM');
  } finally {
    daemon?.kill('SIGKILL');
    ipsecd.kill('SIGTERM');
    await ipsecd.exited;
    await gw.stop();
  }
});
