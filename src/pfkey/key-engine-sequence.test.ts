/**
 * ADD with a non-zero X_SA2 sequence (sadb_x_sa2_sequence, the KAME "lowermost 32 bits of
 * sequence number"): the SA's first sequence number is the one after it. esprit's IKE daemon
 * uses this to re-create an outbound SA at new addresses (MOBIKE, RFC 4555 §3.5) without
 * restarting at 1, which the peer's anti-replay window would drop (RFC 4303 §3.4.3).
 * Messages are built with test-buffers.ts, field by field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../util/clock.js';
import { MemoryLogger } from '../util/logger.js';
import { SeededRng } from '../util/rng.js';
import { KeyEngine } from './key-engine.js';
import { address, key, msg, sa, sa2 } from './test-buffers.js';

// RFC 4106 AES-GCM-16 (encrypt 20): 32-byte key + 4-byte salt
const GCM_KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f' + 'cafebabe';

test('ADD: X_SA2 sequence 0 starts at 1; sequence 1000 starts at 1001', () => {
  const engine = new KeyEngine({ clock: new FakeClock(0), rng: new SeededRng(1n), logger: new MemoryLogger() });
  const iked = engine.connect('linux', 77);
  for (const [spi, sequence, first] of [
    [0x4001, 0, 1n],
    [0x4002, 1000, 1001n],
  ] as const) {
    const out = engine.receive(
      iked,
      msg(
        { type: 3, satype: 3, seq: 1, pid: 77 },
        sa(spi, 32, 1, 0, 20),
        address('linux', 5, '10.99.6.2'),
        address('linux', 6, '10.99.2.2'),
        key(9, GCM_KEY),
        sa2(2, 0x2000, sequence),
      ),
    );
    assert.equal(out[0]?.message.header.errno, 0);
    assert.equal(engine.sad.dump().find((e) => e.spi === spi)?.cfg?.seq, first);
  }
});
