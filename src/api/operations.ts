/**
 * @module api/operations
 * Operator actions on sessions: disconnect a user (or one session), remove a user from a room.
 * They act on this node's sessions; in a cluster the API call is made on every node by the bus
 * (later work) or by the caller.
 */
import { DisconnectCode, FrameType, type PresenceEventFrame } from "../../proto/index.ts";
import { roomKey } from "../node/fanout.ts";
import type { Node } from "../node/node.ts";

/** Closes a user's sessions (or just `sessionId`). `reconnect`: 4007 (may reconnect) instead of 4503 (kicked). Returns how many. */
export function kickUser(node: Node, user: string, sessionId: string | undefined, reconnect: boolean): number {
  let count = 0;
  for (const session of [...node.sessionsOf(user)]) {
    if (sessionId !== undefined && session.id !== sessionId) continue;
    node.disconnect(session, reconnect ? DisconnectCode.Reconnect : DisconnectCode.Kicked, reconnect ? "disconnected by the server" : "kicked");
    count++;
  }
  return count;
}

/**
 * Removes every session of `user` from `room`. Each removed session receives a presence leave
 * event about its own user (that is how a client learns it was removed); the other members get the
 * usual leave event once the user has no session left in the room. Returns sessions removed.
 */
export async function removeFromRoom(node: Node, room: string, user: string): Promise<number> {
  const sessions = [...node.sessionsOf(user)].filter((s) => s.rooms.has(room));
  let last = { changed: false, users: 0, sessions: 0 };
  for (const session of sessions) {
    session.rooms.delete(room);
    if (!session.closed) session.ws.unsubscribe(session.topic(roomKey(room)));
    last = await node.presence.leave(room, user, session.id);
  }
  if (sessions.length === 0) return 0;
  const event: PresenceEventFrame = { type: FrameType.PresenceEvent, room, action: 2, user, users: last.users, sessions: last.sessions };
  for (const session of sessions) session.send(event);
  if (last.changed) node.fanout.publish(roomKey(room), event);
  return sessions.length;
}
