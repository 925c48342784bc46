/**
 * Index a message's extensions by name. RFC 2367 §2.3 allows each extension type at most
 * once per message (Linux parse_exthdrs answers a repeat with EINVAL), but the decoder keeps
 * every extension in wire order; this helper reports the repeats so the key engine can refuse.
 */
import type { SadbExtName } from './constants.js';
import type { PfkeyExtByName, PfkeyMessage, UnknownExt } from './types.js';

export interface PfkeyExtIndex {
  /** first occurrence of each known extension */
  readonly byName: Partial<PfkeyExtByName>;
  /** names that occurred more than once (each listed once, in order of the first repeat) */
  readonly duplicates: readonly SadbExtName[];
  /** extensions the dialect does not decode, in wire order */
  readonly unknown: readonly UnknownExt[];
}

export function indexExtensions(msg: PfkeyMessage): PfkeyExtIndex {
  const byName: Partial<Record<SadbExtName, unknown>> = {};
  const duplicates: SadbExtName[] = [];
  const unknown: UnknownExt[] = [];
  for (const e of msg.extensions) {
    if (e.ext === 'UNKNOWN') {
      unknown.push(e);
      continue;
    }
    if (byName[e.ext] === undefined) byName[e.ext] = e;
    else if (!duplicates.includes(e.ext)) duplicates.push(e.ext);
  }
  return { byName: byName as Partial<PfkeyExtByName>, duplicates, unknown };
}
