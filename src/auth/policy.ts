/**
 * @module auth/policy
 * Authorization hooks: the one place that decides who may join a room, publish, broadcast,
 * and recall or edit a message. The node calls these; nothing else decides access.
 */
import { roomMatches } from "./room-pattern.ts";
import type { Claims } from "./tokens.ts";

export { roomMatches } from "./room-pattern.ts";

/** Decisions the node asks for. Replace any hook to change the policy. */
export interface Policy {
  /** May this user join (and read history of, and publish to) this room? */
  canJoin(claims: Claims, room: string): boolean;
  /** May this user broadcast to everyone? */
  canBroadcast(claims: Claims): boolean;
  /** May this user recall or edit a message sent by `sender` at `sentAt` (ms), now being `now`? */
  canModify(claims: Claims, sender: string, sentAt: number, now: number): "ok" | "forbidden" | "too_late";
}

export const PUBLIC_ROOM_PREFIX = "public:";

export function isAdmin(claims: Claims): boolean {
  return claims.role === "admin";
}

/** The default policy: `public:*` rooms are open, other rooms need a matching `rooms` claim, admins may do anything; senders may modify their own messages within `editWindowMs`. */
export function defaultPolicy(editWindowMs: number): Policy {
  return {
    canJoin: (claims, room) => room.startsWith(PUBLIC_ROOM_PREFIX) || isAdmin(claims) || claims.rooms.some((p) => roomMatches(p, room)),
    canBroadcast: (claims) => isAdmin(claims),
    canModify(claims, sender, sentAt, now) {
      if (isAdmin(claims)) return "ok";
      if (claims.sub !== sender) return "forbidden";
      return now - sentAt <= editWindowMs ? "ok" : "too_late";
    },
  };
}
