/**
 * CI keeps the PF_KEY benchmark code working (bench/README.md "PF_KEY"): the real entry point
 * (`node --expose-gc dist/bench/pfkey/run.js --sas 2000`, what `npm run bench:pfkey` runs with
 * a smaller N) must print a well-formed result table, and benchPfkey must return a complete
 * row. Only shape and sign are checked: no thresholds, nothing timed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { benchPfkey, formatPfkeyTable } from './run.js';

const RUN = fileURLToPath(new URL('./run.js', import.meta.url));
const HEADER = '| SAs | window | ADD/s | DUMP ms | DUMP msg/s | heap B/SA | RSS B/SA |';

test('run.js --sas 2000 prints one well-formed row with positive rates', () => {
  const r = spawnSync(process.execPath, ['--expose-gc', RUN, '--sas', '2000', '--window', '64'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 3, r.stdout);
  assert.equal(lines[0], HEADER);
  assert.equal(lines[1], '|---:|---:|---:|---:|---:|---:|---:|');
  const cells = (lines[2] ?? '')
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
  assert.equal(cells.length, 7, lines[2]);
  assert.ok(
    cells.every((c) => /^-?\d+$/.test(c)),
    `integer cells: ${lines[2]}`,
  );
  const [sas, window, adds, dumpMs, dumpRate] = cells.map(Number);
  assert.equal(sas, 2000);
  assert.equal(window, 64);
  assert.ok((adds ?? 0) > 0, 'ADD/s > 0');
  assert.ok((dumpMs ?? -1) >= 0, 'DUMP ms >= 0');
  assert.ok((dumpRate ?? 0) > 0, 'DUMP msg/s > 0');
});

test('run.js refuses a bad --sas', () => {
  const r = spawnSync(process.execPath, [RUN, '--sas', 'lots'], { encoding: 'utf8', timeout: 60_000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--sas needs a positive integer/);
});

test('benchPfkey returns a complete row (500 SAs, window 16)', async () => {
  const row = await benchPfkey(500, 16);
  assert.equal(row.sas, 500);
  assert.equal(row.window, 16);
  assert.ok(row.addsPerSecond > 0);
  assert.ok(row.dumpMessagesPerSecond > 0);
  for (const v of Object.values(row)) assert.ok(Number.isFinite(v), JSON.stringify(row));
  const table = formatPfkeyTable([row]).split('\n');
  assert.equal(table[0], HEADER);
  assert.equal(table.length, 3);
});
