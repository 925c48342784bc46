/**
 * The hooks between the IKEv1 engine and its sub-engines: Quick Mode (phase2-exchanges.ts),
 * the gateway's and the client's Transactions (transaction.ts, transaction-client.ts),
 * Informational (informational-tasks.ts) and phase 1 rekeying (phase1-rekey.ts). Each hook
 * reaches the engine's shared state (engine-core.ts) when it runs, not when it is built.
 */
import { tsToString } from '../config/traffic-selector.js';
import type { RetransmitSettings } from '../ike/retransmit.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Rng } from '../util/rng.js';
import { drop, type EngineCore, emit, type Ikev1Drop, type SubEngines } from './engine-core.js';
import { errorNotifyName, refusalEvent } from './error-notify.js';
import type { Ikev1Sa } from './ikev1-sa.js';
import { deleteEsp } from './informational.js';
import { InformationalTasks } from './informational-tasks.js';
import { Phase1Rekeys } from './phase1-rekey.js';
import { Phase2Exchanges } from './phase2-exchanges.js';
import { clientConfigured, clientFailed, removeChild, removeSa, xauthDone } from './sa-lifecycle.js';
import { Transactions } from './transaction.js';
import { ClientTransactions } from './transaction-client.js';

export interface WiringDeps {
  clock: Clock;
  rng: Rng;
  logger: Logger;
  retransmit: RetransmitSettings;
  /** the reqid of a CHILD SA by connection and child (Ikev1EngineOptions.reqidFor) */
  reqidFor(conn: string, child: string): number;
  /** phase 1 rekey: a new phase 1 on `old`'s connection and endpoints */
  replace(old: Ikev1Sa): void;
}

/** Build the sub-engines; `core` returns the engine's state, complete by the time a hook runs. */
export function wireSubEngines(core: () => EngineCore, deps: WiringDeps): SubEngines {
  const { clock, rng, logger, retransmit, reqidFor } = deps;
  const push = (a: EngineCore['actions'][number]) => core().actions.push(a);
  const dropped = (why: string, detail: string) => drop(core(), why as Ikev1Drop, detail);
  const phase2 = new Phase2Exchanges(
    {
      random: (b) => rng.fill(b),
      // As IKEv2's childReqid: the IKE initiator has one reqid per child (its trap policy
      // uses it); a gateway one per child and remote selectors, so road warriors behind one
      // NAT keep their own policies.
      // A CHILD SA adopted from a replaced ISAKMP SA keeps its reqid whatever this SA's role.
      reqidFor: (sa, child, remoteTs) => {
        const ts = remoteTs.map(tsToString).join(',');
        const kept = sa.children.find((c) => c.name === child && c.plan.remoteTs.map(tsToString).join(',') === ts);
        return kept?.plan.reqid ?? reqidFor(sa.conn.name, sa.initiator ? child : `${child}/${ts}`);
      },
    },
    {
      push,
      drop: dropped,
      rekeyed: (_, oldSpiIn) => {
        // RFC 2409 §5.5 has no rekey exchange: a new Quick Mode, then a Delete for the old SA
        // (on the ISAKMP SA it is on now: a phase 1 rekey may have moved it)
        const c = core();
        const sa = [...c.sas.values()].find((x) => x.children.some((ch) => ch.spiIn === oldSpiIn));
        const old = sa?.children.find((ch) => ch.spiIn === oldSpiIn);
        if (!sa || !old) return;
        if (sa.state === 'established') c.info.send(sa, [deleteEsp([old.spiIn])]);
        removeChild(c, sa, old, 'rekeyed');
      },
      refuse: (sa, n) => core().info.send(sa, [n]),
      finished: (sa, requestId, ok, reason) => {
        if (!ok) logger.log('warn', 'ike', `[ike1#${sa.id}] ${sa.conn.name}: ${reason}`);
        if (requestId !== undefined) push({ kind: 'initiate-result', requestId, ok, reason });
      },
    },
    clock,
    logger,
    retransmit,
  );
  const transactions = new Transactions(
    {
      push,
      drop: dropped,
      config: () => core().config(),
      pools: () => core().pools(),
      xauthDone: (sa, ok, user) => xauthDone(core(), sa, ok, user),
    },
    rng,
    clock,
    logger,
    retransmit,
  );
  const clientTx = new ClientTransactions(
    {
      push,
      drop: dropped,
      config: () => core().config(),
      configured: (sa, r) => clientConfigured(core(), sa, r),
      failed: (sa, notify, reason) => clientFailed(core(), sa, notify, reason),
    },
    rng,
    clock,
    logger,
    retransmit,
  );
  const info = new InformationalTasks(
    {
      push,
      drop: dropped,
      sas: () => [...core().sas.values()],
      removeSa: (sa, reason) => removeSa(core(), sa, reason),
      removeChild: (sa, c, reason) => removeChild(core(), sa, c, reason),
      errorNotify: (sa, type, spi) => {
        for (const child of core().phase2.refused(sa, errorNotifyName(type), spi))
          emit(core(), refusalEvent(sa, type, child));
      },
      responderLifetime: (sa, seconds) => core().phase1.responderLifetime(sa, seconds),
    },
    rng,
    clock,
    logger,
  );
  const phase1 = new Phase1Rekeys({
    sas: () => core().sas.values(),
    startReplacement: (old) => deps.replace(old),
    deleteSa: (sa, reason) => {
      core().info.sendDeletes(sa);
      removeSa(core(), sa, reason);
    },
    sendInfo: (sa, ps) => core().info.send(sa, ps),
    log: (level, msg) => logger.log(level, 'ike', msg),
    rng,
  });
  return { phase2, info, transactions, clientTx, phase1 };
}
