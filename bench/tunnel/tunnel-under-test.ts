import type { Lab } from '../../test/netns/harness.js';

/**
 * A tunnel implementation the benchmark (run.ts) measures, inside the project's netns lab
 * (test/netns/harness.ts):
 *
 *   client ──(NAT, masquerade random)── gw
 *   inner 10.99.4.1 (client lo)  ====  10.99.3.0/24 (gw lo 10.99.3.1)
 *
 * setup() brings the tunnel up in lab namespaces `client` and `gw` and resolves only once
 * traffic passes (e.g. a ping through the tunnel was answered). run.ts then runs iperf3 from
 * `client` to `serverAddress` (the iperf3 server listens on every address of `gw`), and charges
 * the CPU time of `pids` (the tunnel's processes at both ends) to the tunnel.
 * teardown() stops what setup() started (by PID); the Lab's destroy() kills anything left.
 * Only one tunnel is up at a time: run.ts calls setup/teardown around each path's block.
 */
export interface TunnelUnderTest {
  readonly name: string;
  setup(lab: Lab): Promise<TunnelEndpoints>;
  teardown(): Promise<void>;
}

export interface TunnelEndpoints {
  /** iperf3 server address in `gw`, reached through the tunnel (e.g. 10.99.3.1). */
  readonly serverAddress: string;
  /** PIDs of the tunnel's processes (both ends), for utime+stime accounting. */
  readonly pids: number[];
  /** Source address iperf3 binds in `client` (e.g. the inner 10.99.4.1); default: kernel's choice. */
  readonly bindAddress?: string;
}

/** setup() throws this when the implementation cannot run here at all (reported, not failed). */
export class TunnelUnavailableError extends Error {
  override readonly name = 'TunnelUnavailableError';
}
