/**
 * @module engines/presence
 * The presence port: who is online, per room and globally, counted in users and sessions.
 * A user is in a room while at least one of their sessions is; a user is online while at least one
 * session is connected. Engines: in-process memory (`presence-memory.ts`); a Redis engine later.
 * Every engine passes `test/engines/presence-contract.ts`.
 */

/** Users and sessions, e.g. in a room or on the whole server. */
export interface Counts {
  users: number;
  sessions: number;
}

/** The result of adding or removing a session. `changed` is true when the user itself arrived or left. */
export interface PresenceChange extends Counts {
  changed: boolean;
}

/** A user's online state. `lastSeen` is when their last session ended, ms; absent while online or if never seen. */
export interface UserStatus {
  user: string;
  online: boolean;
  lastSeen?: number;
}

/**
 * Invariants: adding the same (room, user, session) twice counts once; removing an absent one is a
 * no-op with `changed: false`; counts never go negative; `sessionsOf` lists live sessions only.
 */
export interface PresenceManager {
  /** A session connected. */
  connect(user: string, session: string): Promise<PresenceChange>;
  /** A session disconnected at `now` (ms); sets `lastSeen` when it was the user's last. */
  disconnect(user: string, session: string, now: number): Promise<PresenceChange>;
  /** A session joined a room. */
  join(room: string, user: string, session: string): Promise<PresenceChange>;
  /** A session left a room. */
  leave(room: string, user: string, session: string): Promise<PresenceChange>;
  /** Users in a room with their session counts, sorted by user id. */
  members(room: string): Promise<Array<[user: string, sessions: number]>>;
  /** Counts for a room, or for the whole server when `room` is undefined. */
  counts(room?: string): Promise<Counts>;
  /** Online state of each user, in the order asked. */
  status(users: string[]): Promise<UserStatus[]>;
  /** Online users, sorted by id, at most `limit`. */
  users(limit: number): Promise<string[]>;
  /** Rooms with at least one member, with counts. */
  rooms(): Promise<Array<[room: string, counts: Counts]>>;
  close(): Promise<void>;
}
