/**
 * A binary min-heap of (deadline, id) with lazy deletion: the owner pushes an entry whenever
 * an SA's deadline may have changed and, when asking for the earliest one, drops tops that
 * no longer hold. With thousands of SAs this keeps `nextDeadline()` (asked after every
 * PF_KEY message) logarithmic instead of a scan of the whole SAD.
 */
export interface Deadline {
  readonly at: number;
  readonly id: number;
}

export class DeadlineHeap {
  private readonly h: Deadline[] = [];

  get size(): number {
    return this.h.length;
  }

  push(d: Deadline): void {
    const h = this.h;
    h.push(d);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as Deadline;
      if (parent.at <= d.at) break;
      h[i] = parent;
      i = p;
    }
    h[i] = d;
  }

  /**
   * Keep only the entries `keep` accepts (re-heaped in O(n)): owners call this once the heap
   * has grown well past what is live, so entries that lazy deletion would only meet at the top
   * (far in the future, behind live ones) do not pile up.
   */
  retain(keep: (d: Deadline) => boolean): void {
    const kept = this.h.filter(keep);
    this.h.length = 0;
    for (const d of kept) this.h.push(d);
    for (let i = (this.h.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  peek(): Deadline | undefined {
    return this.h[0];
  }

  pop(): Deadline | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    h[0] = last;
    this.siftDown(0);
    return top;
  }

  private siftDown(start: number): void {
    const h = this.h;
    const d = h[start] as Deadline;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let mAt = d.at;
      const hl = h[l];
      const hr = h[r];
      if (hl && hl.at < mAt) {
        m = l;
        mAt = hl.at;
      }
      if (hr && hr.at < mAt) m = r;
      if (m === i) break;
      h[i] = h[m] as Deadline;
      i = m;
    }
    h[i] = d;
  }
}

/** Below this many entries an owner need not compact (a few stale entries cost nothing). */
export const COMPACT_MIN = 64;

/**
 * For owners that keep their entries' values in `index` by id: drop the entries (and index
 * values) that are not `alive` or no longer indexed; the index keeps only what the heap still
 * refers to. Returns the heap size at which to compact next (twice what is left, at least
 * COMPACT_MIN): run then, the cost is O(1) amortised per push.
 */
export function compactIndexed<T>(heap: DeadlineHeap, index: Map<number, T>, alive: (v: T) => boolean): number {
  const kept = new Map<number, T>();
  heap.retain((d) => {
    const v = index.get(d.id);
    if (v === undefined || !alive(v)) return false;
    kept.set(d.id, v);
    return true;
  });
  index.clear();
  for (const [id, v] of kept) index.set(id, v);
  return Math.max(COMPACT_MIN, 2 * heap.size);
}
