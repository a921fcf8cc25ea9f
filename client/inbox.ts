/**
 * @module client/inbox
 * The user's inbox position, for acknowledgements and for dropping re-delivered direct messages.
 */

/**
 * The user's inbox position: the highest inbox offset delivered (direct messages, any peer) and the
 * highest acknowledged. Inbox offsets grow by one per direct message sent or received by this user.
 *
 * The server re-pushes every unacknowledged message on connect, so a reconnecting client sees some
 * again: those are recognised by offset and id. A message at or below the delivered offset whose id
 * was never seen means the inbox stream was reset (its epoch is not sent to clients): it is
 * delivered and the position restarts there.
 */
export class InboxState {
  /** Highest inbox offset delivered to the application. */
  delivered = 0;
  /** Highest offset acknowledged to the server. */
  acked = 0;
  readonly #recent = new Set<string>();

  constructor(private readonly remember = 4096) {}

  /** False when the message (`offset`, `id`) was already delivered; 0 (not stored) always passes. */
  accept(offset: number, id: string): boolean {
    if (offset === 0) return true;
    if (offset <= this.delivered) {
      if (this.#recent.has(id)) return false;
      this.acked = Math.min(this.acked, offset - 1);
    }
    this.delivered = offset;
    this.#recent.add(id);
    if (this.#recent.size > this.remember) this.#recent.delete(this.#recent.values().next().value!);
    return true;
  }

  /** The offset to acknowledge now, if anything new was delivered. */
  toAck(): number | undefined {
    return this.delivered > this.acked ? this.delivered : undefined;
  }
}
