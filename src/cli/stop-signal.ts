/**
 * What ends a daemon command (`esprit ipsecd`, `esprit start`): SIGTERM, SIGINT, or a fatal
 * error the daemon reports itself (the sealing thread died: docs/dataplane.md §10.9). The
 * handlers are installed at once, so a signal during start-up is not lost.
 */
export type StopReason = 'SIGTERM' | 'SIGINT' | 'fatal';

export function untilStopped(): { readonly stopped: Promise<StopReason>; readonly fatal: () => void } {
  let fatal = (): void => {};
  const stopped = new Promise<StopReason>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
    fatal = () => resolve('fatal');
  });
  return { stopped, fatal };
}
