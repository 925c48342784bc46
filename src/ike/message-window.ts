/**
 * The message ID windows of one IKE SA with window size 1 (RFC 7296 §2.1-§2.3), owned by
 * one object as iked's ikev2_recv does, so no task sees a duplicate:
 *
 * - As requester we have at most one request outstanding; its response must carry the same
 *   message ID, and our next request takes the next ID.
 * - As responder we expect exactly the next request ID. The request with the ID we answered
 *   last is a retransmission: it gets the cached response again (§2.1, "the responder MUST
 *   remember each response until it receives a request whose sequence number is larger"),
 *   never a second processing. Anything else is dropped.
 *
 * Message IDs are 32-bit and never wrap (§2.2): at 0xffffffff the IKE SA must be rekeyed.
 */
export type RequestVerdict =
  /** a new request: process it, then call `responded()` with the response bytes */
  | { readonly kind: 'new'; readonly messageId: number }
  /** the last request again: resend these datagrams (the response, or its fragments) */
  | { readonly kind: 'retransmit'; readonly response: readonly Uint8Array[] }
  /** the last request again, but its response is not built yet (still waiting on PF_KEY): ignore */
  | { readonly kind: 'busy' }
  /** outside the window: drop and count */
  | { readonly kind: 'drop'; readonly reason: 'old' | 'future' };

export type ResponseVerdict =
  | { readonly kind: 'match'; readonly messageId: number }
  | { readonly kind: 'drop'; readonly reason: 'no-request' | 'wrong-id' };

export const MAX_MESSAGE_ID = 0xffffffff;

export class MessageWindow {
  /** ID of our next request */
  private nextRequestId: number;
  /** ID of our outstanding request, or undefined */
  private outstanding: number | undefined;
  /** ID the peer's next request must carry */
  private expectedRequestId: number;
  /** the response we sent to request expectedRequestId - 1 */
  private cachedResponse: readonly Uint8Array[] | undefined;
  private processing = false;

  /**
   * `initialRequest`/`initialExpected` are 0 for a new IKE SA; after IKE_SA_INIT both sides
   * go on with 1 (the IKE_SA_INIT pair used ID 0 in each direction).
   */
  constructor(initialRequest = 0, initialExpected = 0) {
    this.nextRequestId = initialRequest;
    this.expectedRequestId = initialExpected;
  }

  /** True when a request may be sent now (window size 1, §2.3). */
  canSend(): boolean {
    return this.outstanding === undefined && this.nextRequestId <= MAX_MESSAGE_ID;
  }

  /** Take the ID for a new request. Throws if one is outstanding (a programmer error). */
  beginRequest(): number {
    if (!this.canSend()) throw new Error('assertion failed: request outstanding or message IDs exhausted');
    this.outstanding = this.nextRequestId;
    return this.nextRequestId;
  }

  get outstandingId(): number | undefined {
    return this.outstanding;
  }

  /** Classify a response from the peer (flag R set). */
  onResponse(messageId: number): ResponseVerdict {
    if (this.outstanding === undefined) return { kind: 'drop', reason: 'no-request' };
    if (messageId !== this.outstanding) return { kind: 'drop', reason: 'wrong-id' };
    return { kind: 'match', messageId };
  }

  /** The outstanding exchange is over (its response was authenticated and processed). */
  completeRequest(): void {
    if (this.outstanding === undefined) return;
    this.nextRequestId = this.outstanding + 1;
    this.outstanding = undefined;
  }

  /** Classify a request from the peer (flag R clear). */
  onRequest(messageId: number): RequestVerdict {
    if (messageId === this.expectedRequestId && !this.processing) return { kind: 'new', messageId };
    if (messageId === this.expectedRequestId && this.processing) return { kind: 'busy' };
    if (messageId === this.expectedRequestId - 1) {
      return this.cachedResponse
        ? { kind: 'retransmit', response: this.cachedResponse }
        : { kind: 'drop', reason: 'old' };
    }
    return { kind: 'drop', reason: messageId < this.expectedRequestId ? 'old' : 'future' };
  }

  /** A 'new' request passed authentication and is being processed (its retransmits are 'busy'). */
  accepted(messageId: number): void {
    if (messageId === this.expectedRequestId) this.processing = true;
  }

  /** An unauthenticated or unusable request: forget it, the window does not move (§2.21.2). */
  rejected(): void {
    this.processing = false;
  }

  /** The response to the request being processed was sent: cache it and move the window. */
  responded(response: readonly Uint8Array[]): void {
    this.cachedResponse = response;
    this.expectedRequestId += 1;
    this.processing = false;
  }
}
