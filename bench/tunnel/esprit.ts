import type { Lab } from '../../test/netns/harness.js';
import { type TunnelEndpoints, TunnelUnavailableError, type TunnelUnderTest } from './tunnel-under-test.js';

/**
 * PLACEHOLDER — the esprit tunnel for the benchmark, to be written once `esprit ipsecd` exists.
 *
 * What the implementation must do (see tunnel-under-test.ts and strongswan.ts for the pattern):
 *  - setup(lab): start `esprit ipsecd` in lab namespaces `client` (initiator, behind the NAT)
 *    and `gw` (responder on 10.99.2.2), ESP AES-GCM-128 in UDP 4500, tunnel mode,
 *    10.99.4.1/32 === 10.99.3.0/24; wait until `ping -I 10.99.4.1 10.99.3.1` passes in `client`;
 *    return { serverAddress: '10.99.3.1', bindAddress: '10.99.4.1', pids: [client, gw] }.
 *  - teardown(): SIGTERM those PIDs, wait for exit, SIGKILL after a grace period.
 * Until then setup() throws TunnelUnavailableError and run.ts reports the path as
 * "unavailable" (it fails only with `--require esprit`).
 */
export function espritTunnel(): TunnelUnderTest {
  return {
    name: 'esprit',
    async setup(_lab: Lab): Promise<TunnelEndpoints> {
      throw new TunnelUnavailableError('esprit tunnel not available yet (esprit ipsecd does not exist)');
    },
    async teardown(): Promise<void> {
      // nothing was started
    },
  };
}
