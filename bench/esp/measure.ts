/**
 * Timing loop for the ESP benchmarks: run an operation in growing batches until the
 * time budget is spent, repeat, and keep the median rate (a shared, noisy machine).
 * The divisor is the process's CPU time (user + system), as `openssl speed` divides by
 * its CPU user time, so ratios hold up when other processes compete for the cores.
 */

export interface Rate {
  /** operations (packets) per second */
  readonly pps: number;
  /** payload Gbit/s at `bytes` per packet */
  readonly gbps: number;
}

export function measure(op: () => void, bytes: number, budgetMs: number, repeats: number): Rate {
  for (let i = 0; i < 200; i++) op(); // warm up (JIT, lazy native contexts)
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    let n = 0;
    let batch = 64;
    const c0 = process.cpuUsage();
    let cpuUs = 0;
    while (cpuUs < budgetMs * 1e3) {
      for (let i = 0; i < batch; i++) op();
      n += batch;
      const c = process.cpuUsage(c0);
      cpuUs = c.user + c.system;
      if (batch < 65536) batch *= 2;
    }
    rates.push((n * 1e6) / cpuUs);
  }
  rates.sort((a, b) => a - b);
  const pps = rates[rates.length >> 1] ?? 0;
  return { pps, gbps: (pps * bytes * 8) / 1e9 };
}
