/** The gateway mode's argument parsing (the run itself needs root and the netns lab: bench/README.md). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGatewayArgs } from './gateway.js';

test('gateway bench arguments: defaults 4 clients, 3 x 10 s; bounds are checked', () => {
  const d = parseGatewayArgs([]);
  assert.deepEqual([d.clients, d.gwProcs, d.reps, d.seconds, d.gwArgs, d.json], [4, 1, 3, 10, [], false]);
  assert.equal(parseGatewayArgs(['--gw-procs', '2']).gwProcs, 2);
  assert.equal(parseGatewayArgs(['--gw-threads', '2']).gwThreads, 2);
  assert.throws(() => parseGatewayArgs(['--gw-threads', '4']), /1\.\.2/);
  assert.throws(() => parseGatewayArgs(['--gw-procs', '3']), /1\.\.2/);
  const o = parseGatewayArgs(['--clients', '2', '--time', '5', '--gw-args', '--udp-io  mmsg', '--json']);
  assert.deepEqual([o.clients, o.seconds, o.gwArgs, o.json], [2, 5, ['--udp-io', 'mmsg'], true]);
  assert.throws(() => parseGatewayArgs(['--clients', '5']), /1\.\.4/);
  assert.throws(() => parseGatewayArgs(['--reps']), /needs a value/);
  assert.throws(() => parseGatewayArgs(['--threads', '2']), /unknown argument/);
});
