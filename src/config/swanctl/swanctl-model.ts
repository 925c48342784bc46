/**
 * The configuration esprit reads from a swanctl.conf (docs/configuration.md): strongSwan's
 * key names, resolved defaults, certificate and key paths made absolute. The types live in
 * swanctl-types.ts and the loader in swanctl-load.ts; this module is the one to import.
 */

/**
 * Parse, validate and resolve a swanctl.conf (and its includes) through `fs`: every error is
 * collected; `config` is set only when there are none.
 */
export { type ConfigFs, loadSwanctl as loadConfig } from './swanctl-load.js';
export type {
  AuthorityConfig,
  AuthRoundConfig,
  ChildConfig,
  ConnectionConfig,
  EspritConfig,
  HostSettings,
  NattMode,
  NattVariant,
  PoolConfig,
  SecretsConfig,
  SharedSecret,
  SourcePos,
} from './swanctl-types.js';
