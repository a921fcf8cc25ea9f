/**
 * @module web/store
 * The chat app's state: channels (rooms and direct conversations) with their messages, members,
 * typing users and read receipts, and the connection. Views subscribe to topics and re-render the
 * part that changed; the controller (`chat.ts`) is the only writer.
 */
import type { ChatMessage, ConnectionState } from "../../client/index.ts";
import { payloadText } from "./format.ts";

/** A message as the app shows it. `pending`: sent, not yet confirmed; `failed`: could not be sent. */
export interface Msg {
  /** Stable key: the message id, or `c:<cmid>` while pending. */
  key: string;
  id: string | undefined;
  cmid: string | undefined;
  offset: number;
  time: number;
  from: string;
  text: string;
  state: "sent" | "edited" | "recalled" | "pending" | "failed";
  /** Bumped on every change, so views know when to redraw a message. */
  version: number;
}

/** A room (`public:lobby`) or a direct conversation (`@bob`). */
export class Channel {
  readonly kind: "room" | "dm";
  /** Sorted by offset; pending messages (offset +∞) last, in send order. */
  messages: Msg[] = [];
  readonly byKey = new Map<string, Msg>();
  /** Loaded the newest page of history. */
  loaded = false;
  loadingOlder = false;
  /** More history before the oldest loaded message. */
  hasOlder = false;
  unread = 0;
  /** Room members online: user → sessions. */
  members = new Map<string, number>();
  counts = { users: 0, sessions: 0 };
  /** Typing users → when the indicator expires (ms). */
  typing = new Map<string, number>();
  /** Other users' read positions, as offsets in this view of the channel. */
  reads = new Map<string, number>();
  /** Our own read position sent to the server. */
  readUpTo = 0;
  /** Whether the room is joined right now (rooms only). */
  joined = false;

  constructor(readonly name: string) {
    this.kind = name.startsWith("@") ? "dm" : "room";
  }

  /** The other party of a direct conversation. */
  get peer(): string | undefined {
    return this.kind === "dm" ? this.name.slice(1) : undefined;
  }

  /** Newest confirmed offset loaded. */
  get lastOffset(): number {
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const m = this.messages[i]!;
      if (m.state !== "pending" && m.state !== "failed") return m.offset;
    }
    return 0;
  }

  /** Oldest offset loaded (0 when empty). */
  get firstOffset(): number {
    return this.messages[0] && this.messages[0].state !== "pending" ? this.messages[0].offset : 0;
  }

  /**
   * Adds or replaces a message from the server. A confirmed message replaces the pending one
   * with the same cmid. Returns true when it is new (not a copy of one already shown).
   */
  upsert(message: ChatMessage): boolean {
    const existing = this.byKey.get(message.id);
    const pending = message.cmid ? this.byKey.get(`c:${message.cmid}`) : undefined;
    const msg: Msg = {
      key: message.id,
      id: message.id,
      cmid: message.cmid,
      offset: message.offset,
      time: message.time,
      from: message.from,
      text: payloadText(message.payload),
      state: message.state,
      version: (existing?.version ?? pending?.version ?? 0) + 1,
    };
    if (pending) this.remove(pending.key);
    if (existing) {
      if (existing.offset === msg.offset && existing.state === msg.state && existing.text === msg.text) return false;
      Object.assign(existing, msg);
      return false;
    }
    this.byKey.set(msg.key, msg);
    this.insertSorted(msg);
    return !pending;
  }

  /** Shows a message being sent, under its cmid, until the server confirms it. */
  addPending(cmid: string, from: string, text: string): Msg {
    const msg: Msg = { key: `c:${cmid}`, id: undefined, cmid, offset: Number.POSITIVE_INFINITY, time: Date.now(), from, text, state: "pending", version: 1 };
    this.byKey.set(msg.key, msg);
    this.messages.push(msg);
    return msg;
  }

  /** Applies an edit or recall to a shown message. Returns false when it is not loaded. */
  update(id: string, action: "edit" | "recall", text: string): boolean {
    const msg = this.byKey.get(id);
    if (!msg) return false;
    msg.state = action === "recall" ? "recalled" : "edited";
    msg.text = action === "recall" ? "" : text;
    msg.version++;
    return true;
  }

  remove(key: string): void {
    const msg = this.byKey.get(key);
    if (!msg) return;
    this.byKey.delete(key);
    this.messages = this.messages.filter((m) => m !== msg);
  }

  /** Forgets the loaded messages (after a failed recovery) except pending ones. */
  reset(): void {
    const pending = this.messages.filter((m) => m.state === "pending" || m.state === "failed");
    this.messages = pending;
    this.byKey.clear();
    for (const m of pending) this.byKey.set(m.key, m);
    this.loaded = false;
    this.hasOlder = false;
  }

  private insertSorted(msg: Msg): void {
    let i = this.messages.length;
    while (i > 0) {
      const before = this.messages[i - 1]!;
      if (before.state !== "pending" && before.state !== "failed" && before.offset <= msg.offset) break;
      i--;
    }
    this.messages.splice(i, 0, msg);
  }
}

/** Topics views can subscribe to. `messages`, `members`, `typing` and `reads` carry a channel name. */
export type Topic = "channels" | "active" | "connection" | "messages" | "members" | "typing" | "reads" | "notice";

/** The whole app state. */
export class ChatStore {
  readonly channels = new Map<string, Channel>();
  active: string | undefined;
  connection: ConnectionState = "idle";
  /** Why the connection is closed for good, if it is. */
  closedReason: string | undefined;
  /** Online state of direct-message peers. */
  readonly online = new Map<string, boolean>();
  /** Queued requests while offline (shown in the banner). */
  pending = 0;
  /** A short message for the user (an action failed), shown for a few seconds. */
  notice = "";
  readonly #listeners = new Map<Topic, Set<(channel?: string) => void>>();

  constructor(readonly me: string) {}

  channel(name: string): Channel {
    let channel = this.channels.get(name);
    if (!channel) {
      this.channels.set(name, (channel = new Channel(name)));
      this.emit("channels");
    }
    return channel;
  }

  get activeChannel(): Channel | undefined {
    return this.active ? this.channels.get(this.active) : undefined;
  }

  /** Rooms then direct conversations, each sorted by name. */
  list(kind: "room" | "dm"): Channel[] {
    return [...this.channels.values()].filter((c) => c.kind === kind).sort((a, b) => a.name.localeCompare(b.name));
  }

  on(topic: Topic, listener: (channel?: string) => void): () => void {
    let set = this.#listeners.get(topic);
    if (!set) this.#listeners.set(topic, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit(topic: Topic, channel?: string): void {
    for (const listener of this.#listeners.get(topic) ?? []) listener(channel);
  }
}
