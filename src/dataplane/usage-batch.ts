import type { SaEntry } from '../sad/sa-entry.js';

/**
 * The SAD's traffic accounting of one I/O batch, summed per SA (docs/dataplane.md §10.8):
 * the I/O rim brackets each TUN read or receive batch with Dataplane.beginBatch/endBatch,
 * and the key engine's per-packet KeyEngine.onSaUsed (BigInt counters, byte/packet
 * lifetimes, PF_KEY EXPIRE) runs once per SA at the end of the batch instead of once per
 * packet. A byte or packet lifetime's EXPIRE message may therefore leave up to one batch
 * (at most 64 packets) later; the ESP engine's own hard limits are still checked on every
 * packet (esp/esp-sa.ts), and a soft or hard event it reports flushes the batch at once.
 */
export class UsageBatch {
  private readonly entries: (SaEntry | undefined)[] = [];
  private readonly bytes: number[] = [];
  private readonly packets: number[] = [];
  private n = 0;
  private batching = false;
  private readonly flushOne = (e: SaEntry, b: number, p: number): void => this.account(e, b, p);

  /** @param account the SAD accounting (KeyEngine.onSaUsed and its deliveries) of `packets` packets */
  constructor(private readonly account: (entry: SaEntry, bytes: number, packets: number) => void) {}

  /** From here until end(), packets are summed per SA. */
  begin(): void {
    this.batching = true;
  }

  /** The end of the batch: one account() per SA. */
  end(): void {
    this.batching = false;
    if (this.n > 0) this.drain(this.flushOne);
  }

  /**
   * One packet of `bytes` on `entry`; `now` (an ESP lifetime event came with it) or outside a
   * batch: accounted at once, after what the batch summed so far (the SAD sees them in order).
   */
  used(entry: SaEntry, bytes: number, now: boolean): void {
    if (this.batching && !now) {
      this.add(entry, bytes);
      return;
    }
    if (this.n > 0) this.drain(this.flushOne);
    this.account(entry, bytes, 1);
  }

  /** One packet of `bytes` on `entry`. A batch holds few SAs: a linear scan beats a Map. */
  private add(entry: SaEntry, bytes: number): void {
    const es = this.entries;
    for (let i = 0; i < this.n; i++) {
      if (es[i] === entry) {
        this.bytes[i] = (this.bytes[i] ?? 0) + bytes;
        this.packets[i] = (this.packets[i] ?? 0) + 1;
        return;
      }
    }
    const i = this.n++;
    es[i] = entry;
    this.bytes[i] = bytes;
    this.packets[i] = 1;
  }

  /** Hand every SA's sums to `f` in first-seen order and start over. */
  private drain(f: (entry: SaEntry, bytes: number, packets: number) => void): void {
    const n = this.n;
    this.n = 0;
    for (let i = 0; i < n; i++) {
      const e = this.entries[i] as SaEntry;
      this.entries[i] = undefined; // no SA kept alive by a finished batch
      f(e, this.bytes[i] ?? 0, this.packets[i] ?? 0);
    }
  }
}
