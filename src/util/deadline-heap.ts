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

  peek(): Deadline | undefined {
    return this.h[0];
  }

  pop(): Deadline | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let mAt = last.at;
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
    h[i] = last;
    return top;
  }
}
