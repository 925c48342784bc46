/**
 * The order in which the IKE engines' actions reach ipsecd. Kernel work (PF_KEY: install,
 * activate, update, remove a CHILD SA) runs one request after the other, in the order the
 * engine asked for it, so an SA is installed before it is updated or removed. An IKE message
 * waits for the kernel work asked for before it: the engine's actions are in protocol order,
 * and a message usually tells the peer that SAs are in place.
 *
 * Found by the soak (bench/README.md "Soak"): IKE messages went out at once while the PF_KEY
 * work before them was still queued, so during a CHILD SA rekey (make-before-break, RFC 7296
 * §1.3.3, §2.8) the peer could act before our SAs were there, e.g. the gateway answered the
 * client's Delete of the old CHILD SA before its held-back outbound SA of the new one was
 * active (the client then dropped the gateway's ESP on the old SA it had removed as unknown
 * SPI), or the client sent that Delete before its new inbound SA was installed. strongSwan
 * installs SAs synchronously before it sends the message, to the same effect.
 */
export class KernelSequencer {
  private chain: Promise<void> = Promise.resolve();
  /** kernel work and held-back sends queued and not yet done */
  private queued = 0;

  constructor(private readonly failed: (what: string, e: unknown) => void) {}

  /** Queue kernel work after everything queued before it; a failure is reported, not thrown. */
  kernel(what: string, work: () => Promise<void>): void {
    this.queued++;
    this.chain = this.chain
      .then(work)
      .catch((e: unknown) => this.failed(what, e))
      .finally(() => {
        this.queued--;
      });
  }

  /** Send now when nothing is queued, else once what was queued before is done (in order). */
  send(send: () => void): void {
    if (this.queued === 0) {
      send();
      return;
    }
    this.queued++;
    this.chain = this.chain
      .then(send)
      .catch((e: unknown) => this.failed('sending an IKE message', e))
      .finally(() => {
        this.queued--;
      });
  }

  /** Resolves once everything queued so far is done (shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }
}
