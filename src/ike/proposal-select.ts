/**
 * Responder-side SA proposal selection, RFC 7296 §2.7 and §3.3.6.
 *
 * Policy: like strongSwan's default (no `prefer_peer`), our configured proposals are
 * walked in config order and, for each, the peer's proposals in received order; the first
 * pair that matches wins. Within a transform type our own order decides (strongSwan
 * proposal.c select with prefer_self). The chosen proposal carries the peer's proposal
 * number and SPI (§3.3.1: the responder echoes the accepted proposal's number).
 */
import type { EncrTransform, Proposal } from '../config/proposal.js';
import { Dh, TransformType } from '../config/proposal.js';

/** RFC 7296 §3.3.1 protocol IDs. */
export const ProtocolId = { IKE: 1, AH: 2, ESP: 3 } as const;

export interface ReceivedTransform {
  type: number;
  id: number;
  keyLength?: number;
}

export interface ReceivedProposal {
  proposalNumber: number;
  protocolId: number;
  spi: Uint8Array;
  transforms: ReceivedTransform[];
}

export interface SelectedProposal {
  proposalNumber: number;
  spi: Uint8Array;
  protocol: 'ike' | 'esp';
  encr: EncrTransform;
  prf?: number;
  integ?: number;
  dh?: number;
  esn?: number;
}

export type SelectResult =
  | { ok: true; selected: SelectedProposal }
  | { ok: false; notify: 'NO_PROPOSAL_CHOSEN'; reason: string };

function ids(r: ReceivedProposal, type: number): number[] {
  return r.transforms.filter((t) => t.type === type).map((t) => t.id);
}

/** Picks our first transform the peer also offers; both empty = "none" (ok). */
function pick(own: number[], peer: number[]): { ok: boolean; id?: number } {
  if (own.length === 0 && peer.length === 0) return { ok: true };
  for (const id of own) if (peer.includes(id)) return { ok: true, id };
  return { ok: false };
}

function matchOne(own: Proposal, r: ReceivedProposal, keGroup: number | undefined): SelectedProposal | string {
  const wantProto = own.protocol === 'ike' ? ProtocolId.IKE : ProtocolId.ESP;
  if (r.protocolId !== wantProto) return `protocol ${r.protocolId} not ${own.protocol}`;
  // §3.3.6: a transform type unknown to us makes the proposal unacceptable.
  const unknown = r.transforms.find((t) => t.type < TransformType.ENCR || t.type > TransformType.ESN);
  if (unknown) return `unknown transform type ${unknown.type}`;
  const t = own.transforms;
  const peerEncr = r.transforms.filter((x) => x.type === TransformType.ENCR);
  // §3.3.5: the Key Length attribute must match exactly (absent only for fixed-key ciphers).
  const encr = t.encr.find((e) => peerEncr.some((p) => p.id === e.id && p.keyLength === e.keyLength));
  if (!encr) return 'no matching encryption algorithm';
  const integ = pick(t.integ, ids(r, TransformType.INTEG));
  if (!integ.ok) return 'no matching integrity algorithm';
  const prf = pick(t.prf, ids(r, TransformType.PRF));
  if (!prf.ok) return 'no matching PRF';
  // ESP: an absent DH transform equals NONE (strongSwan `modpnone`), so "modp3072-modpnone"
  // accepts a peer offering no DH, while "modp3072" alone does not (test_proposal.c select_data).
  const norm = (l: number[]): number[] => (own.protocol === 'esp' && l.length === 0 ? [Dh.NONE] : l);
  const ownDh = norm(t.dh);
  const peerDh = norm(ids(r, TransformType.DH));
  // RFC 7296 §1.2: prefer the group the initiator already sent a KE payload for.
  const dh =
    keGroup !== undefined && ownDh.includes(keGroup) && peerDh.includes(keGroup)
      ? { ok: true, id: keGroup }
      : pick(ownDh, peerDh);
  if (!dh.ok) return 'no matching key exchange method';
  const esn = pick(t.esn, ids(r, TransformType.ESN));
  if (!esn.ok) return 'no matching ESN setting';
  const sel: SelectedProposal = { proposalNumber: r.proposalNumber, spi: r.spi, protocol: own.protocol, encr };
  if (integ.id !== undefined) sel.integ = integ.id;
  if (prf.id !== undefined) sel.prf = prf.id;
  if (dh.id !== undefined && dh.id !== Dh.NONE) sel.dh = dh.id;
  if (esn.id !== undefined) sel.esn = esn.id;
  return sel;
}

/**
 * Selects one transform of each type from the peer's proposals (§2.7). `keGroup` is the
 * DH group of the initiator's KE payload (IKE_SA_INIT / CREATE_CHILD_SA with PFS).
 */
export function selectProposal(own: Proposal[], received: ReceivedProposal[], keGroup?: number): SelectResult {
  const reasons: string[] = [];
  for (const o of own) {
    for (const r of received) {
      const m = matchOne(o, r, keGroup);
      if (typeof m !== 'string') return { ok: true, selected: m };
      reasons.push(`#${r.proposalNumber}: ${m}`);
    }
  }
  return { ok: false, notify: 'NO_PROPOSAL_CHOSEN', reason: reasons.join('; ') || 'no proposals' };
}

/**
 * RFC 7296 §1.2/§1.3: if the selected proposal's group differs from the group of the KE
 * payload received, answer INVALID_KE_PAYLOAD carrying the wanted group.
 */
export function invalidKeGroup(keGroup: number | undefined, selected: SelectedProposal): number | undefined {
  if (selected.dh === undefined) return undefined;
  return keGroup === selected.dh ? undefined : selected.dh;
}
