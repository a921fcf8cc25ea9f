/**
 * @module engines/presence-memory
 * In-process presence: maps of user → session ids, per room and global. Shared by every node in
 * the same process (tests run several nodes on one engine instance).
 */
import type { Counts, PresenceChange, PresenceManager, UserStatus } from "./presence.ts";

/** Users → their session ids, with a running session count. */
class Membership {
  readonly users = new Map<string, Set<string>>();
  sessions = 0;

  add(user: string, session: string): PresenceChange {
    let set = this.users.get(user);
    const changed = !set;
    if (!set) this.users.set(user, (set = new Set()));
    if (!set.has(session)) {
      set.add(session);
      this.sessions++;
    }
    return { changed, users: this.users.size, sessions: this.sessions };
  }

  remove(user: string, session: string): PresenceChange {
    const set = this.users.get(user);
    if (!set || !set.delete(session)) return { changed: false, users: this.users.size, sessions: this.sessions };
    this.sessions--;
    const changed = set.size === 0;
    if (changed) this.users.delete(user);
    return { changed, users: this.users.size, sessions: this.sessions };
  }

  counts(): Counts {
    return { users: this.users.size, sessions: this.sessions };
  }
}

export class MemoryPresence implements PresenceManager {
  private readonly online = new Membership();
  private readonly roomMembers = new Map<string, Membership>();
  private readonly lastSeen = new Map<string, number>();

  async connect(user: string, session: string): Promise<PresenceChange> {
    return this.online.add(user, session);
  }

  async disconnect(user: string, session: string, now: number): Promise<PresenceChange> {
    const change = this.online.remove(user, session);
    if (change.changed) this.lastSeen.set(user, now);
    return change;
  }

  async join(room: string, user: string, session: string): Promise<PresenceChange> {
    let members = this.roomMembers.get(room);
    if (!members) this.roomMembers.set(room, (members = new Membership()));
    return members.add(user, session);
  }

  async leave(room: string, user: string, session: string): Promise<PresenceChange> {
    const members = this.roomMembers.get(room);
    if (!members) return { changed: false, users: 0, sessions: 0 };
    const change = members.remove(user, session);
    if (members.sessions === 0) this.roomMembers.delete(room);
    return change;
  }

  async members(room: string): Promise<Array<[string, number]>> {
    const members = this.roomMembers.get(room);
    if (!members) return [];
    return [...members.users].map(([user, set]): [string, number] => [user, set.size]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  async counts(room?: string): Promise<Counts> {
    if (room === undefined) return this.online.counts();
    return this.roomMembers.get(room)?.counts() ?? { users: 0, sessions: 0 };
  }

  async status(users: string[]): Promise<UserStatus[]> {
    return users.map((user) => {
      if (this.online.users.has(user)) return { user, online: true };
      const seen = this.lastSeen.get(user);
      return seen === undefined ? { user, online: false } : { user, online: false, lastSeen: seen };
    });
  }

  async users(limit: number): Promise<string[]> {
    return [...this.online.users.keys()].sort().slice(0, limit);
  }

  async rooms(): Promise<Array<[string, Counts]>> {
    return [...this.roomMembers].map(([room, m]): [string, Counts] => [room, m.counts()]);
  }

  async close(): Promise<void> {}
}
