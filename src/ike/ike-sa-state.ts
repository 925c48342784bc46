/**
 * The lifecycle of one IKE SA (strongSwan ike_sa.h IKE_CREATED..IKE_DESTROYING, in our
 * words) with its allowed transitions. Every change goes through `transition()`, which keeps
 * the reason, as iked's ikev2_ike_sa_setreason and libreswan's `.story` strings do, so
 * `list-sas` and `monitor` can say why an SA went down.
 *
 *   created ──► connecting ──► established ──► rekeying ──► rekeyed ──► destroying
 *      │            │               │   ▲          │                        ▲
 *      │            │               │   └──────────┘ (rekey failed)         │
 *      │            │               └──► deleting ──────────────────────────┤
 *      └────────────┴───────────────────────────────────────────────────────┘
 */
export const IKE_SA_STATES = [
  'created',
  'connecting',
  'established',
  'rekeying',
  'rekeyed',
  'deleting',
  'destroying',
] as const;
export type IkeSaState = (typeof IKE_SA_STATES)[number];

const ALLOWED: Readonly<Record<IkeSaState, readonly IkeSaState[]>> = {
  // created: a responder's SA after IKE_SA_INIT, an initiator's before its first request
  created: ['connecting', 'destroying'],
  connecting: ['established', 'destroying'],
  established: ['rekeying', 'deleting', 'destroying'],
  rekeying: ['established', 'rekeyed', 'deleting', 'destroying'],
  // rekeyed: replaced by a new IKE SA (RFC 7296 §2.18), waiting for its Delete exchange
  rekeyed: ['deleting', 'destroying'],
  deleting: ['destroying'],
  destroying: [],
};

export interface StateChange {
  readonly from: IkeSaState;
  readonly to: IkeSaState;
  readonly reason: string;
  /** ms on the injected clock */
  readonly at: number;
}

export class IkeSaLifecycle {
  private current: IkeSaState = 'created';
  private last: StateChange | undefined;

  get state(): IkeSaState {
    return this.current;
  }

  /** The change that led here (undefined while still `created`). */
  get lastChange(): StateChange | undefined {
    return this.last;
  }

  canMoveTo(to: IkeSaState): boolean {
    return ALLOWED[this.current].includes(to);
  }

  /** Move to `to`; a transition the table does not allow is a programmer error. */
  transition(to: IkeSaState, reason: string, at: number): StateChange {
    if (!this.canMoveTo(to)) throw new Error(`assertion failed: IKE SA ${this.current} -> ${to} (${reason})`);
    this.last = { from: this.current, to, reason, at };
    this.current = to;
    return this.last;
  }
}
