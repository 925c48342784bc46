/**
 * One status from the main thread and the sealing thread (status-merge.ts): hand-built
 * counter objects, the sums written out by hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DataplaneStatus, newTotals, type SaStatus } from './status.js';
import { mergeDataplaneStatus, sumCounters } from './status-merge.js';

function sa(id: number, direction: SaStatus['direction'], packets: number): SaStatus {
  return {
    id,
    spi: id.toString(16).padStart(8, '0'),
    direction,
    state: 'mature',
    mode: 'tunnel',
    reqid: 0,
    src: '192.0.2.1',
    dst: '198.51.100.7',
    framing: 'rfc3948',
    peer: { address: '198.51.100.7', port: 4500 },
    natKeepalive: false,
    natFloat: false,
    packets,
    bytes: packets * 100,
    drops: {},
  };
}

function status(
  sas: SaStatus[],
  tunIn: number,
  espIn: number,
  drops: DataplaneStatus['totals']['drops'],
): DataplaneStatus {
  // the other totals at zero (a new data plane), then the few this test reads
  const totals = { ...newTotals(), tunIn, tunOut: espIn, espOut: tunIn, espIn, udpIn: espIn, udpOut: tunIn, drops };
  return { sas, listeners: [], keepalives: [], totals };
}

describe('status of a data plane with a sealing thread', () => {
  it('sums counters field by field, nested drop reasons too; a last errno is a value, not a count', () => {
    const a = { rxPackets: 3, lastTxErrno: 11, lastTxError: '', drops: { 'no-sa': 1 } };
    const b = {
      rxPackets: 4,
      lastTxErrno: 0,
      lastTxError: 'Resource temporarily unavailable',
      drops: { 'no-sa': 2, 'bad-packet': 5 },
    };
    assert.deepEqual(sumCounters<Record<string, unknown>>(a, b), {
      rxPackets: 7,
      lastTxErrno: 11,
      lastTxError: 'Resource temporarily unavailable',
      drops: { 'no-sa': 3, 'bad-packet': 5 },
    });
  });

  it("shows the worker's outbound SA lines in place of the main thread's unused ones, in SAD order", () => {
    const main = status([sa(1, 'in', 7), sa(2, 'unused', 0), sa(3, 'unused', 0)], 0, 7, { replay: 1 });
    const sealer = status([sa(2, 'out', 9), sa(3, 'unused', 0)], 9, 0, { 'no-sa': 2 });
    const m = mergeDataplaneStatus(main, sealer);
    assert.deepEqual(
      m.sas.map((s) => [s.id, s.direction, s.packets]),
      [
        [1, 'in', 7],
        [2, 'out', 9],
        [3, 'unused', 0],
      ],
    );
    // an SA used both ways (both ends on this host) is listed out, then in, as dataplaneStatus does
    const both = mergeDataplaneStatus(status([sa(4, 'in', 2)], 0, 2, {}), status([sa(4, 'out', 3)], 3, 0, {}));
    assert.deepEqual(
      both.sas.map((s) => [s.id, s.direction, s.packets]),
      [
        [4, 'out', 3],
        [4, 'in', 2],
      ],
    );
    assert.equal(m.totals.tunIn, 9);
    assert.equal(m.totals.espIn, 7);
    assert.equal(m.totals.espOut, 9);
    assert.deepEqual(m.totals.drops, { replay: 1, 'no-sa': 2 });
  });
});
