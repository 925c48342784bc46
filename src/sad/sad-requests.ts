/**
 * What the Sad (sad.ts) is asked: PF_KEY requests (RFC 2367 §3.1) as parameters, the
 * outbound lookup query, and the checks they share (EINVAL on a bad value).
 */

import { PfkeyError } from '../util/errors.js';
import type { IpAddr } from '../util/ip-addr.js';
import { Errno } from './errno.js';
import type { Mode, SaConfig } from './sa-config.js';
import type { SaLifetime } from './sa-lifetime.js';

export interface GetspiParams {
  readonly src: IpAddr;
  readonly dst: IpAddr;
  /** sadb_spirange; default [0x100, 0x0fffffff] as Linux pfkey_getspi and KAME key_spi_minval/maxval */
  readonly spirange?: { readonly min: number; readonly max: number };
  readonly reqid: number;
  readonly mode: Mode | 'any';
  readonly owner: number;
  readonly seq: number;
}

export interface AddParams {
  readonly cfg: SaConfig;
  readonly reqid?: number;
  readonly flags?: number;
  readonly lifetime?: SaLifetime;
  readonly owner?: number;
  readonly seq?: number;
}

/** How PF_KEY names an SA: sadb_sa SPI + ADDRESS_DST (+ ADDRESS_SRC, + NAT_T_DPORT). */
export interface SaRef {
  readonly dst: IpAddr;
  readonly spi: number;
  /** when given, must equal the SA's source (KAME checks it; Linux ignores it) */
  readonly src?: IpAddr;
  /** NAT-T destination port; disambiguates two SAs to peers behind one NAT */
  readonly dport?: number;
}

export interface UpdateParams extends SaRef {
  /** the requesting client; must be the GETSPI owner when the SA is larval */
  readonly owner: number;
  /** required to complete a larval SA; for a mature SA only encapsulation and natOa are taken */
  readonly cfg?: SaConfig;
  readonly lifetime?: SaLifetime;
  readonly reqid?: number;
  readonly flags?: number;
}

const U32 = 0x1_0000_0000;

export function inval(detail: string): never {
  throw new PfkeyError(Errno.EINVAL, detail);
}

export function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < U32;
}

/** RFC 4303 §2.1: SPI 0 is reserved for local use, 1-255 are reserved by IANA. */
function checkSpi(spi: number): void {
  if (!isU32(spi) || spi < 256) inval(`SPI ${spi} is reserved or not a u32 (RFC 4303 §2.1)`);
}

export function checkCfg(cfg: SaConfig): void {
  checkSpi(cfg.spi);
  if (cfg.src.family !== cfg.dst.family) inval('SA source and destination families differ');
  if (!Number.isInteger(cfg.replayWindow) || cfg.replayWindow < 0) inval(`bad replay window ${cfg.replayWindow}`);
  const e = cfg.encapsulation;
  const port = (p: number) => Number.isInteger(p) && p >= 0 && p <= 0xffff;
  if (!port(e.sport) || !port(e.dport)) inval('bad NAT-T port');
  if (e.type !== 'none' && (e.sport === 0 || e.dport === 0)) inval('UDP encapsulation needs both ports');
}
