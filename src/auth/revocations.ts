/**
 * @module auth/revocations
 * The token deny-list: revoked `jti`s are refused until the token would have expired anyway.
 * Entries are kept in memory for the hot check and written through to the store so a restart
 * keeps them.
 */
import type { MessageStore } from "../store/port.ts";
import type { Claims } from "./tokens.ts";

export class Revocations {
  private readonly until = new Map<string, number>();

  constructor(private readonly store: MessageStore) {}

  /** Loads persisted entries that have not expired. */
  async load(now = Date.now()): Promise<void> {
    for (const [jti, until] of await this.store.listRevocations(now)) this.until.set(jti, until);
  }

  /** Refuses tokens with this jti until `untilMs`. */
  async revoke(jti: string, untilMs: number): Promise<void> {
    this.until.set(jti, Math.max(untilMs, this.until.get(jti) ?? 0));
    await this.store.revoke(jti, untilMs);
  }

  /** True when the token's jti is on the list and the entry has not lapsed. */
  isRevoked(claims: Claims, now = Date.now()): boolean {
    if (claims.jti === undefined) return false;
    const until = this.until.get(claims.jti);
    if (until === undefined) return false;
    if (until <= now) {
      this.until.delete(claims.jti);
      return false;
    }
    return true;
  }

  get size(): number {
    return this.until.size;
  }
}
