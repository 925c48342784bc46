/**
 * Request checks the key engine makes before any handler runs: the extensions each message
 * type requires and the satype rules (esprit is ESP only). docs/pfkey.md "Messages" table
 * (required extensions) and "Mapping between messages and SaConfig" (satype row).
 *
 *   REQUIRED[type] missing  -> EINVAL          (Linux af_key per-message checks)
 *   satype ESP              -> ok
 *   satype AH, IPCOMP, ...  -> EOPNOTSUPP      (real SA types esprit does not implement)
 *   other satype            -> EINVAL          (Linux pfkey_satype2proto returns 0)
 */
import { PfkeyError } from '../util/errors.js';
import {
  displayName,
  ERRNO,
  type PfkeyDialect,
  type PfkeyExtIndex,
  SADB_MSG,
  SADB_SATYPE,
} from '../wire/pfkey/index.js';

const E = ERRNO.linux;

/** PF_KEY satypes esprit knows but does not implement: EOPNOTSUPP rather than EINVAL. */
const UNSUPPORTED_SATYPES = new Set<number>([
  SADB_SATYPE.AH,
  SADB_SATYPE.X_IPCOMP,
  SADB_SATYPE.RSVP,
  SADB_SATYPE.OSPFV2,
  SADB_SATYPE.RIPV2,
  SADB_SATYPE.MIP,
]);
const KAME_ONLY_SATYPES = new Set<number>([SADB_SATYPE.X_TCPSIGNATURE]);

/** Required extensions per request type (RFC 2367 §3.1 as Linux af_key enforces them). */
export const REQUIRED: Partial<Record<number, readonly (keyof PfkeyExtIndex['byName'])[]>> = {
  [SADB_MSG.GETSPI]: ['ADDRESS_SRC', 'ADDRESS_DST'],
  [SADB_MSG.UPDATE]: ['SA', 'ADDRESS_SRC', 'ADDRESS_DST'],
  [SADB_MSG.ADD]: ['SA', 'ADDRESS_SRC', 'ADDRESS_DST'],
  [SADB_MSG.DELETE]: ['SA', 'ADDRESS_SRC', 'ADDRESS_DST'],
  [SADB_MSG.GET]: ['SA', 'ADDRESS_SRC', 'ADDRESS_DST'],
  [SADB_MSG.X_SPDADD]: ['ADDRESS_SRC', 'ADDRESS_DST', 'X_POLICY'],
  [SADB_MSG.X_SPDUPDATE]: ['ADDRESS_SRC', 'ADDRESS_DST', 'X_POLICY'],
  [SADB_MSG.X_SPDDELETE]: ['ADDRESS_SRC', 'ADDRESS_DST', 'X_POLICY'],
  [SADB_MSG.X_SPDGET]: ['X_POLICY'],
  [SADB_MSG.X_SPDDELETE2]: ['X_POLICY'],
};

export function fail(errno: number, detail: string): never {
  throw new PfkeyError(errno, detail);
}

function unsupported(dialect: PfkeyDialect, satype: number): boolean {
  return UNSUPPORTED_SATYPES.has(satype) || (dialect === 'kame' && KAME_ONLY_SATYPES.has(satype));
}

/** ESP only: AH, IPCOMP (and the other RFC 2367 types) EOPNOTSUPP, unknown values EINVAL. */
export function requireEsp(dialect: PfkeyDialect, satype: number): void {
  if (satype === SADB_SATYPE.ESP) return;
  if (unsupported(dialect, satype)) {
    fail(E.EOPNOTSUPP, `satype ${displayName(SADB_SATYPE, satype)}: esprit implements ESP only`);
  }
  fail(E.EINVAL, `satype ${satype} is not an SA type`);
}

/** FLUSH/DUMP satype: UNSPEC = all, ESP = ESP, other known types hold nothing here. */
export function satypeFilter(dialect: PfkeyDialect, satype: number): 'all' | 'esp' | 'none' {
  if (satype === SADB_SATYPE.UNSPEC) return 'all';
  if (satype === SADB_SATYPE.ESP) return 'esp';
  if (unsupported(dialect, satype)) return 'none';
  fail(E.EINVAL, `satype ${satype} is not an SA type`);
}
