import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BenchReport, exitCode, median, parseArgs, parseIperf, parseTimes, type ResultRow } from './run.js';

// Fixtures: iperf3 3.12 `-J` output from the netns lab (client -> gw through the NAT,
// 2026-11-22), trimmed to the fields the benchmark reads; the numbers are iperf3's own.
const TCP_JSON = JSON.stringify({
  start: { tcp_mss_default: 1448, test_start: { protocol: 'TCP', blksize: 131072, duration: 1 } },
  end: {
    sum_sent: { seconds: 1.001329, bytes: 2597060608, bits_per_second: 20748909563.19052, retransmits: 3 },
    sum_received: { seconds: 1.001329, bytes: 2597060608, bits_per_second: 20748909563.19052 },
  },
});
const UDP_JSON = JSON.stringify({
  start: { test_start: { protocol: 'UDP', blksize: 1400, duration: 1 } },
  end: {
    sum_sent: { seconds: 1.0005, bytes: 99331400, bits_per_second: 794254072.9635183, packets: 70951 },
    sum_received: {
      seconds: 1.000739,
      bytes: 68723200,
      bits_per_second: 549379608.469341,
      lost_packets: 21750,
      packets: 70838,
      lost_percent: 30.65495905625009,
    },
  },
});
// iperf3 3.12 with no server: `iperf3 -c 10.99.2.2 -J` (error key at the top level)
const ERROR_JSON = JSON.stringify({
  start: { connected: [] },
  intervals: [],
  end: {},
  error: 'unable to connect to server: Connection refused',
});

test('parseIperf: TCP takes receiver bytes/seconds and counts packets by MSS', () => {
  const e = parseIperf(TCP_JSON, undefined);
  assert.equal(e.bytes, 2597060608);
  assert.equal(e.seconds, 1.001329);
  assert.equal(e.bitsPerSecond, 20748909563.19052);
  assert.equal(e.packets, 2597060608 / 1448);
  assert.equal(e.retransmits, 3);
});

test('parseIperf: UDP datagrams received = bytes / length = iperf3 packets - lost', () => {
  const e = parseIperf(UDP_JSON, 1400);
  // oracle: iperf3's own counters, 70838 - 21750 = 49088 datagrams arrived
  assert.equal(e.packets, 70838 - 21750);
  assert.equal(e.bitsPerSecond, 549379608.469341);
  assert.equal(e.lossPercent, 30.65495905625009);
});

test('parseIperf: iperf3 errors and empty results throw', () => {
  assert.throws(() => parseIperf(ERROR_JSON, undefined), /unable to connect/);
  assert.throws(
    () => parseIperf(JSON.stringify({ end: { sum_received: { bytes: 0, seconds: 1 } } }), 1400),
    /no bytes/,
  );
  assert.throws(() => parseIperf('', undefined));
});

test('parseTimes: children user+system from POSIX `times` (dash and bash formats)', () => {
  // dash 0.5.12 prints microseconds, bash prints milliseconds
  assert.equal(parseTimes('0m0.000000s 0m0.000000s\n0m0.000000s 0m0.440000s\n'), 0.44);
  assert.equal(parseTimes('warning\n0m0.010s 0m0.020s\n1m2.500s 0m0.500s'), 63);
  assert.equal(parseTimes('no times here'), 0);
});

test('median: odd, even and empty', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('parseArgs: short/full defaults and overrides; unknown arguments throw', () => {
  const s = parseArgs(['--short']);
  assert.equal(s.reps, 1);
  assert.equal(s.seconds, 3);
  assert.deepEqual(s.paths, ['plain', 'strongswan', 'esprit']);
  const full = parseArgs([]);
  assert.equal(full.reps, 3);
  assert.equal(full.seconds, 10);
  assert.deepEqual(full.udp, [
    { rate: '1G', len: 1400 },
    { rate: '1G', len: 1372 },
  ]);
  const o = parseArgs([
    '--paths',
    'plain,esprit',
    '--require',
    'esprit',
    '--udp',
    '200M:1372',
    '--reps',
    '5',
    '--json',
  ]);
  assert.deepEqual(o.paths, ['plain', 'esprit']);
  assert.deepEqual(o.require, ['esprit']);
  assert.deepEqual(o.udp, [{ rate: '200M', len: 1372 }]);
  assert.equal(o.reps, 5);
  assert.equal(o.json, true);
  assert.deepEqual(parseArgs(['--udp', 'none']).udp, []);
  assert.throws(() => parseArgs(['--paths', 'ipsec']), /unknown path/);
  assert.throws(() => parseArgs(['--reps', '0']), /positive integer/);
  assert.throws(() => parseArgs(['--udp', '1G']), /RATE:LEN/);
  assert.throws(() => parseArgs(['--fast']), /unknown argument/);
  assert.equal(parseArgs(['--esprit-threads', '2']).espritThreads, 2);
  assert.throws(() => parseArgs(['--esprit-threads', '3']), /1 or 2/);
});

function r(path: ResultRow['path'], status: ResultRow['status']): ResultRow {
  return {
    path,
    test: 'tcp',
    status,
    reps: 0,
    failures: 0,
    gbps: Number.NaN,
    pps: Number.NaN,
    cpuSecPerGbTunnel: Number.NaN,
    cpuSecPerGbTotal: Number.NaN,
    machineBusy: Number.NaN,
    lossOrRetransmits: Number.NaN,
    vsStrongswan: undefined,
    vsPlain: undefined,
    samples: [],
  };
}

test('exitCode: esprit may be unavailable unless required; failures and other unavailable paths fail', () => {
  const rep = (rows: ResultRow[]): BenchReport => ({ date: '', mode: 'short', machine: '', reps: 1, seconds: 3, rows });
  assert.equal(exitCode(rep([r('plain', 'ok'), r('esprit', 'unavailable')]), []), 0);
  assert.equal(exitCode(rep([r('plain', 'ok'), r('esprit', 'unavailable')]), ['esprit']), 1);
  assert.equal(exitCode(rep([r('strongswan', 'unavailable')]), []), 1);
  assert.equal(exitCode(rep([r('plain', 'ok'), r('strongswan', 'failed')]), []), 1);
  // a row with samples but one failed repetition still fails the run
  assert.equal(exitCode(rep([r('plain', 'ok'), { ...r('strongswan', 'ok'), reps: 2, failures: 1 }]), []), 1);
});
