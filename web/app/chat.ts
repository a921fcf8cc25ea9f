/**
 * @module web/chat
 * The controller: owns the SDK client, turns its events into store changes, and performs the
 * user's actions (open a channel, send, edit, recall, load older history, mark as read).
 */
import { HubbubClient, type ChatMessage, type HubbubError, type RoomJoined } from "../../client/index.ts";
import { tokenSource, type Credentials } from "./auth.ts";
import { payloadText } from "./format.ts";
import { ChatStore, type Channel, type Msg } from "./store.ts";

const PAGE = 50;
const DEFAULT_ROOMS = ["public:lobby", "public:random"];
const TYPING_TTL_MS = 5000;

/** Per-user lists kept in localStorage: joined rooms, direct conversations, the open channel. */
function saved<T>(key: string, fallback: T): T {
  try {
    const value = localStorage.getItem(key);
    return value ? (JSON.parse(value) as T) : fallback;
  } catch {
    return fallback;
  }
}

export class ChatController {
  readonly store: ChatStore;
  readonly client: HubbubClient;
  #statusTimer: ReturnType<typeof setInterval> | undefined;
  #typingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly credentials: Credentials,
    private readonly onSignOut: () => void,
  ) {
    this.store = new ChatStore(credentials.user);
    const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws`;
    this.client = new HubbubClient({ url, token: tokenSource(credentials), reconnect: { maxDelayMs: 10_000 } });
    this.#listen();
  }

  #key(what: string): string {
    return `hubbub.${what}.${this.store.me}`;
  }

  /** Connects, joins the remembered rooms and opens the remembered channel. */
  start(): void {
    const rooms = saved<string[]>(this.#key("rooms"), DEFAULT_ROOMS);
    for (const room of rooms) this.store.channel(room);
    for (const peer of saved<string[]>(this.#key("dms"), [])) this.store.channel(`@${peer}`);
    void this.client.connect().catch(() => undefined);
    for (const room of rooms) void this.#join(room);
    const last = saved<string | null>(this.#key("active"), null);
    this.open(last && this.store.channels.has(last) ? last : (rooms[0] ?? DEFAULT_ROOMS[0]!));
    this.#statusTimer = setInterval(() => void this.#refreshStatus(), 20_000);
  }

  stop(): void {
    clearInterval(this.#statusTimer);
    this.client.close();
  }

  signOut(): void {
    this.stop();
    this.onSignOut();
  }

  #persist(): void {
    localStorage.setItem(this.#key("rooms"), JSON.stringify(this.store.list("room").map((c) => c.name).filter((n) => n !== "*")));
    localStorage.setItem(this.#key("dms"), JSON.stringify(this.store.list("dm").map((c) => c.peer)));
    if (this.store.active) localStorage.setItem(this.#key("active"), JSON.stringify(this.store.active));
  }

  // ---- SDK events → store ----

  #listen(): void {
    const { client, store } = this;
    client.on("state", ({ state }) => {
      store.connection = state;
      store.pending = client.pending;
      store.emit("connection");
    });
    client.on("connected", (info) => {
      if (info.reconnected) void this.#resync();
      void this.#refreshUnread();
      void this.#refreshStatus();
    });
    client.on("disconnected", (info) => {
      if (!info.willReconnect) {
        store.closedReason = info.code === 1000 ? "signed out" : `${info.reason || "closed"} (${info.code})`;
        store.emit("connection");
      }
    });
    client.on("message", (message) => this.#onMessage(message));
    client.on("update", (update) => {
      const channel = store.channels.get(update.channel);
      if (channel?.update(update.id, update.action, payloadText(update.payload))) store.emit("messages", channel.name);
    });
    client.on("presence", (event) => {
      const channel = store.channels.get(event.room);
      if (!channel) return;
      if (event.action === "join") {
        channel.members.set(event.user, Math.max(1, channel.members.get(event.user) ?? 0));
        if (store.channels.has(`@${event.user}`) && !store.online.get(event.user)) {
          store.online.set(event.user, true); // in a room, so online
          store.emit("channels");
        }
      } else channel.members.delete(event.user);
      channel.counts = { users: event.users, sessions: event.sessions };
      store.emit("members", channel.name);
    });
    client.on("typing", ({ channel: name, user }) => {
      const channel = store.channels.get(name);
      if (!channel) return;
      channel.typing.set(user, Date.now() + TYPING_TTL_MS);
      store.emit("typing", name);
      this.#expireTyping();
    });
    client.on("read", (receipt) => {
      const channel = store.channels.get(receipt.channel);
      if (!channel) return;
      const offset = receipt.id !== undefined && channel.kind === "dm" ? channel.byKey.get(receipt.id)?.offset : receipt.offset;
      if (offset === undefined) return;
      if (receipt.user === store.me) {
        // read on another of our devices
        channel.readUpTo = Math.max(channel.readUpTo, offset);
        if (channel.lastOffset <= offset && channel.unread > 0) {
          channel.unread = 0;
          store.emit("channels");
        }
        return;
      }
      channel.reads.set(receipt.user, Math.max(offset, channel.reads.get(receipt.user) ?? 0));
      store.emit("reads", channel.name);
    });
    client.on("joined", (joined) => this.#onJoined(joined));
    client.on("left", ({ room, removed }) => {
      const channel = store.channels.get(room);
      if (channel && removed) {
        channel.joined = false;
        store.emit("members", room);
      }
    });
    client.on("error", (error: HubbubError) => console.warn("hubbub:", error.kind, error.code ?? "", error.message));
  }

  #onMessage(message: ChatMessage): void {
    const { store } = this;
    const known = store.channels.has(message.channel);
    const channel = store.channel(message.channel);
    const isNew = channel.upsert(message);
    channel.typing.delete(message.from);
    if (channel.kind === "dm" && !known) {
      this.#persist();
      void this.#refreshStatus();
    }
    if (isNew && message.from !== store.me && !this.#isWatching(channel)) {
      channel.unread++;
      store.emit("channels");
    }
    store.emit("messages", channel.name);
    store.emit("typing", channel.name);
  }

  #onJoined(joined: RoomJoined): void {
    const channel = this.store.channel(joined.room);
    channel.joined = true;
    channel.counts = { users: joined.users, sessions: joined.sessions };
    if (joined.rejoin && !joined.recovered) {
      // Recovery was impossible: what we show is stale. Reload the newest page.
      channel.reset();
      if (this.store.active === channel.name) void this.loadLatest(channel);
    }
    void this.#refreshPresence(channel);
    this.store.emit("members", channel.name);
  }

  /** True when the user is looking at the end of `channel`. */
  #isWatching(channel: Channel): boolean {
    return this.store.active === channel.name && document.visibilityState === "visible" && this.atBottom();
  }

  /** Set by the message list view: whether it is scrolled to the end. */
  atBottom: () => boolean = () => true;

  #expireTyping(): void {
    if (this.#typingTimer) return;
    this.#typingTimer = setTimeout(() => {
      this.#typingTimer = undefined;
      const now = Date.now();
      let left = false;
      for (const channel of this.store.channels.values()) {
        let changed = false;
        for (const [user, until] of channel.typing) {
          if (until <= now) {
            channel.typing.delete(user);
            changed = true;
          } else left = true;
        }
        if (changed) this.store.emit("typing", channel.name);
      }
      if (left) this.#expireTyping();
    }, 500);
  }

  /** After a reconnection: recovery brought missed messages, but not edits or recalls of older ones. */
  async #resync(): Promise<void> {
    const channel = this.store.activeChannel;
    if (channel?.loaded) await this.#mergeLatest(channel);
  }

  async #refreshUnread(): Promise<void> {
    const counts = await this.client.unread().catch(() => undefined);
    if (!counts) return;
    for (const [name, count] of Object.entries(counts)) {
      const channel = this.store.channels.get(name) ?? (name.startsWith("@") && count > 0 ? this.store.channel(name) : undefined);
      if (channel && channel.name !== this.store.active) channel.unread = count;
    }
    this.#persist();
    this.store.emit("channels");
  }

  async #refreshStatus(): Promise<void> {
    const peers = this.store.list("dm").map((c) => c.peer!);
    if (peers.length === 0 || this.client.state !== "connected") return;
    const statuses = await this.client.status(peers).catch(() => []);
    for (const s of statuses) this.store.online.set(s.user, s.online);
    this.store.emit("channels");
  }

  async #refreshPresence(channel: Channel): Promise<void> {
    const presence = await this.client.presence(channel.name).catch(() => undefined);
    if (!presence) return;
    channel.members = new Map(presence.users.map((u) => [u.user, u.sessions]));
    channel.counts = { users: presence.users.length, sessions: presence.sessions };
    this.store.emit("members", channel.name);
  }

  // ---- user actions ----

  /** Shows `name` (a room or `@user`), loading its history and joining it when needed. */
  open(name: string): void {
    const { store } = this;
    const channel = store.channel(name);
    store.active = name;
    channel.unread = 0;
    this.#persist();
    store.emit("active");
    store.emit("channels");
    if (channel.kind === "room" && !channel.joined) void this.#join(name);
    if (!channel.loaded) void this.loadLatest(channel);
    this.markRead();
  }

  /** Joins a room (typed by the user) and opens it. */
  joinRoom(room: string): void {
    this.store.channel(room);
    this.#persist();
    this.open(room);
  }

  /** Opens the direct conversation with `user`. */
  openDirect(user: string): void {
    if (user === this.store.me) return;
    this.open(`@${user}`);
    void this.#refreshStatus();
  }

  /** Leaves a room, or hides a direct conversation. */
  async close(name: string): Promise<void> {
    const { store } = this;
    const channel = store.channels.get(name);
    if (!channel) return;
    store.channels.delete(name);
    if (store.active === name) store.active = store.list("room")[0]?.name ?? store.list("dm")[0]?.name;
    this.#persist();
    store.emit("channels");
    store.emit("active");
    if (channel.kind === "room") await this.client.leave(name).catch(() => undefined);
  }

  async #join(room: string): Promise<void> {
    await this.client.join(room).catch((error: HubbubError) => {
      console.warn(`could not join ${room}: ${error.message}`);
      const channel = this.store.channels.get(room);
      if (channel) {
        this.store.channels.delete(room);
        if (this.store.active === room) this.store.active = this.store.list("room")[0]?.name;
        this.#persist();
        this.store.emit("channels");
        this.store.emit("active");
      }
    });
  }

  /** Loads the newest page of a channel. */
  async loadLatest(channel: Channel): Promise<void> {
    const page = await this.client.history(channel.name, { limit: PAGE }).catch(() => undefined);
    if (!page) return;
    for (const message of page.messages) channel.upsert(message);
    channel.loaded = true;
    channel.hasOlder = (page.messages[0]?.offset ?? page.oldest) > page.oldest;
    this.store.emit("messages", channel.name);
    this.markRead();
  }

  /** Re-reads the newest page and applies any state changes (edits, recalls) missed while offline. */
  async #mergeLatest(channel: Channel): Promise<void> {
    const page = await this.client.history(channel.name, { limit: PAGE }).catch(() => undefined);
    if (!page) return;
    for (const message of page.messages) channel.upsert(message);
    this.store.emit("messages", channel.name);
  }

  /** Loads the page before the oldest loaded message of the open channel. */
  async loadOlder(): Promise<void> {
    const channel = this.store.activeChannel;
    if (!channel || !channel.loaded || !channel.hasOlder || channel.loadingOlder) return;
    channel.loadingOlder = true;
    const before = channel.firstOffset;
    const page = await this.client.history(channel.name, { before, limit: PAGE }).catch(() => undefined);
    channel.loadingOlder = false;
    if (!page) return;
    for (const message of page.messages) channel.upsert(message);
    channel.hasOlder = (page.messages[0]?.offset ?? page.oldest) > page.oldest;
    this.store.emit("messages", channel.name);
  }

  /** Sends `text` to the open channel. Shown at once as pending; delivered even if sent while offline. */
  send(text: string): void {
    const channel = this.store.activeChannel;
    if (!channel || text.trim() === "") return;
    const cmid = this.client.newCmid();
    channel.addPending(cmid, this.store.me, text);
    this.store.emit("messages", channel.name);
    this.#deliver(channel, cmid, text);
  }

  /** Sends a failed message again with the same cmid (never stored twice). */
  retry(msg: Msg): void {
    const channel = this.store.activeChannel;
    if (!channel || !msg.cmid || msg.state !== "failed") return;
    msg.state = "pending";
    msg.version++;
    this.store.emit("messages", channel.name);
    this.#deliver(channel, msg.cmid, msg.text);
  }

  #deliver(channel: Channel, cmid: string, text: string): void {
    const payload = { text };
    const sending = channel.kind === "room" ? this.client.publish(channel.name, payload, { cmid }) : this.client.direct(channel.peer!, payload, { cmid });
    this.store.pending = this.client.pending;
    this.store.emit("connection");
    sending.then(
      (sent) => {
        // The reply may come before the MESSAGE push: confirm the pending copy now.
        channel.upsert({ channel: channel.name, id: sent.id, offset: sent.offset, time: sent.time, from: this.store.me, payload, state: "sent", cmid, recovered: false });
        this.store.pending = this.client.pending;
        this.store.emit("messages", channel.name);
        this.store.emit("connection");
      },
      (error: HubbubError) => {
        const msg = channel.byKey.get(`c:${cmid}`);
        console.warn("send failed:", error.message);
        if (msg) {
          msg.state = "failed";
          msg.version++;
          this.store.emit("messages", channel.name);
        }
      },
    );
  }

  async edit(msg: Msg, text: string): Promise<void> {
    const channel = this.store.activeChannel;
    if (!channel || !msg.id || text.trim() === "" || text === msg.text) return;
    channel.update(msg.id, "edit", text);
    this.store.emit("messages", channel.name);
    await this.client.edit(msg.id, { text }).catch((error: HubbubError) => this.#failed("Could not edit", error, channel));
  }

  async recall(msg: Msg): Promise<void> {
    const channel = this.store.activeChannel;
    if (!channel || !msg.id) return;
    channel.update(msg.id, "recall", "");
    this.store.emit("messages", channel.name);
    await this.client.recall(msg.id).catch((error: HubbubError) => this.#failed("Could not recall", error, channel));
  }

  /** Tells the user an action failed (edit window passed, not allowed, …) and undoes its optimistic change. */
  #failed(what: string, error: HubbubError, channel: Channel): void {
    const reason = error.code === 410 ? "the edit window has passed" : error.code === 403 ? "only the sender may change a message" : error.message;
    this.notify(`${what}: ${reason}`);
    void this.#mergeLatest(channel);
  }

  /** Shows a short notice to the user. */
  notify(text: string): void {
    this.store.notice = text;
    this.store.emit("notice");
  }

  /** Tells the open channel that we are typing (the SDK throttles). */
  typing(): void {
    const name = this.store.active;
    if (name) this.client.typing(name);
  }

  /** Marks the open channel read up to its newest message, when the user can see it. */
  markRead(): void {
    const channel = this.store.activeChannel;
    if (!channel || document.visibilityState !== "visible" || !this.atBottom()) return;
    const last = channel.lastOffset;
    if (channel.unread > 0) {
      channel.unread = 0;
      this.store.emit("channels");
    }
    if (last <= channel.readUpTo || last === 0) return;
    channel.readUpTo = last;
    void this.client.read(channel.name, last).catch(() => undefined);
  }
}
