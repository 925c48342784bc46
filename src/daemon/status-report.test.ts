import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatStatus } from '../cli/commands/status.js';
import { buildStatusReport, type StatusSources } from './status-report.js';

const sources: StatusSources = {
  sad: { dump: () => [] },
  spd: { dump: () => [] },
  engineStats: {},
  sockets: [],
  counters: {},
  startedMs: 1_000,
  nowMs: 4_500,
  version: '0.1.0',
};

test('status: the process memory given by the daemon is reported (bytes) and printed (MiB)', () => {
  const memory = { rss: 83_886_080, heapTotal: 20_971_520, heapUsed: 10_485_760, external: 1_048_576, arrayBuffers: 7 };
  const s = buildStatusReport({ ...sources, memory });
  assert.deepEqual(s.memory, { rss: 83_886_080, heapTotal: 20_971_520, heapUsed: 10_485_760, external: 1_048_576 });
  assert.equal(s.uptimeSeconds, 3);
  assert.match(formatStatus(s), /^memory: rss 80\.0 MiB, heap 10\.0 MiB of 20\.0 MiB$/m);
});

test('status: no memory field when the daemon gives none', () => {
  const s = buildStatusReport(sources);
  assert.equal('memory' in s, false);
  assert.doesNotMatch(formatStatus(s), /memory/);
});
