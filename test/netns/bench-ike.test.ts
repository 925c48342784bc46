import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchIke, reportIke } from '../../bench/ike/run.js';
import { requireScenarioSystem } from './scenarios/esprit-node.js';

// The IKE benchmark in its short mode (bench/README.md "IKE"): both responders established
// setups with the same load generator and nothing failed; the numbers are reported, not judged.
const skip = requireScenarioSystem(['/usr/lib/ipsec/charon', 'swanctl']);

test('bench/ike --short: esprit and strongSwan responders both establish IKE and CHILD SAs', { skip }, async () => {
  const rows = await benchIke({ seconds: 2, heapSas: 200 });
  console.log(reportIke(rows, 200));
  for (const peer of ['esprit', 'strongswan']) {
    const r = rows.find((x) => x.peer === peer);
    assert.ok(r, `${peer} measured`);
    assert.ok(r.established > 0, `${peer} established SAs`);
    assert.equal(r.failed, 0, `${peer}: no failed setups`);
  }
  const e = rows.find((x) => x.peer === 'esprit');
  assert.ok((e?.bytesPerSa ?? 0) > 0, 'responder heap measured');
});
