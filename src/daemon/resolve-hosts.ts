/**
 * Resolves the host names of a config's `local_addrs`/`remote_addrs` (config/host-names.ts)
 * when the daemon starts and on `reload`. A name that does not resolve is logged and left as
 * it is: its connection then matches no peer by that entry and cannot be initiated to it.
 */
import { hostNamesOf, withResolvedHosts } from '../config/host-names.js';
import type { EspritConfig } from '../config/swanctl/swanctl-model.js';
import { type Lookup, systemLookup } from '../io/dns-lookup.js';
import type { Logger } from '../util/logger.js';

export async function resolveConfigHosts(
  config: EspritConfig,
  log: Logger,
  look: Lookup = systemLookup,
): Promise<EspritConfig> {
  const names = hostNamesOf(config);
  if (names.length === 0) return config;
  const resolved = new Map<string, string[]>();
  await Promise.all(
    names.map(async (n) => {
      try {
        const addrs = await look(n);
        resolved.set(n, addrs);
        log.log('info', 'cfg', `${n} resolves to ${addrs.join(', ')}`);
      } catch (e) {
        log.log('warn', 'cfg', `cannot resolve ${n}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }),
  );
  return withResolvedHosts(config, resolved);
}
