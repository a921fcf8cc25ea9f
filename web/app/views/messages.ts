/**
 * @module web/views/messages
 * The message list of the open channel: day separators, consecutive messages of one author
 * grouped, edit/recall actions on your own messages, "Seen by" receipts, scroll-back that loads
 * older history, and a scroll position that sticks to the newest message while you are there.
 *
 * Rendering is keyed by message: existing elements are kept and moved, so a change redraws only
 * the messages whose version changed, and focus inside the list survives updates.
 */
import type { ChatController } from "../chat.ts";
import { h, replace } from "../dom.ts";
import { formatClock, formatDay, formatTime, listNames } from "../format.ts";
import type { Channel, Msg } from "../store.ts";
import { avatar } from "./avatar.ts";

/** Messages of one author closer than this are grouped under one header. */
const GROUP_MS = 5 * 60_000;

interface Rendered {
  element: HTMLElement;
  version: number;
  grouped: boolean;
}

export interface MessageListHooks {
  /** The user chose "Edit" on their message. */
  edit(msg: Msg): void;
}

export function messageListView(chat: ChatController, hooks: MessageListHooks): HTMLElement {
  const { store } = chat;
  const list = h("ol", { class: "messages", "aria-label": "Messages" });
  const seen = h("div", { class: "seen", "aria-live": "polite" });
  const older = h("div", { class: "older" });
  // The spacer pushes a short conversation to the bottom, next to the composer, as chats do.
  const scroller = h("div", { class: "scroller", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0" }, h("div", { class: "spacer" }), older, list, seen);
  const rendered = new Map<string, Rendered>();
  const days = new Map<string, HTMLElement>();
  let shown: string | undefined;

  const isAtBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48;
  chat.atBottom = isAtBottom;

  const messageElement = (msg: Msg, grouped: boolean): HTMLElement => {
    const own = msg.from === store.me;
    const recalled = msg.state === "recalled";
    const classes = ["msg", own ? "own" : "", grouped ? "grouped" : "", `state-${msg.state}`].filter(Boolean).join(" ");
    const body = h(
      "div",
      { class: "msg-body" },
      grouped ? null : h("div", { class: "msg-meta" }, h("span", { class: "author" }, msg.from), h("time", { datetime: new Date(msg.time).toISOString() }, formatTime(msg.time))),
      h(
        "div",
        { class: "msg-text" },
        recalled ? h("em", null, own ? "You recalled this message" : "This message was recalled") : msg.text,
        msg.state === "edited" ? h("span", { class: "edited" }, " (edited)") : null,
      ),
      msg.state === "pending" ? h("div", { class: "msg-status" }, "Sending…") : null,
      msg.state === "failed"
        ? h("div", { class: "msg-status error" }, "Not sent. ", h("button", { class: "link-button", onclick: () => chat.retry(msg) }, "Retry"))
        : null,
    );
    const canChange = own && msg.id !== undefined && (msg.state === "sent" || msg.state === "edited");
    const actions = canChange
      ? h(
          "div",
          { class: "msg-actions" },
          h("button", { class: "small-button", "aria-label": "Edit message", title: "Edit (↑ in an empty composer)", onclick: () => hooks.edit(msg) }, "Edit"),
          h("button", { class: "small-button danger", "aria-label": "Recall message", title: "Recall for everyone", onclick: () => void chat.recall(msg) }, "Recall"),
        )
      : null;
    return h(
      "li",
      { class: classes, "data-key": msg.key, "data-id": msg.id, "data-from": msg.from },
      grouped ? h("span", { class: "avatar-space" }, h("time", { class: "hover-time" }, formatClock(msg.time))) : avatar(msg.from),
      body,
      actions,
    );
  };

  const daySeparator = (day: string): HTMLElement => {
    let element = days.get(day);
    if (!element) days.set(day, (element = h("li", { class: "day", role: "separator" }, h("span", null, day))));
    return element;
  };

  /** Receipts under the newest message: who (else) has read up to it. */
  const renderSeen = (channel: Channel) => {
    const last = channel.lastOffset;
    const readers = [...channel.reads].filter(([user, offset]) => user !== store.me && offset >= last && last > 0).map(([user]) => user);
    const lastMsg = channel.messages.at(-1);
    if (readers.length === 0 || !lastMsg || lastMsg.state === "pending" || lastMsg.state === "failed") return replace(seen);
    const text = channel.kind === "dm" ? (lastMsg.from === store.me ? "Seen" : "") : `Seen by ${listNames(readers.sort())}`;
    replace(seen, text ? h("span", { "data-testid": "seen" }, "✓ ", text) : null);
  };

  const render = () => {
    const channel = store.activeChannel;
    if (!channel) {
      replace(list);
      replace(seen);
      return;
    }
    const switched = shown !== channel.name;
    shown = channel.name;
    if (switched) {
      rendered.clear();
      days.clear();
      replace(list);
    }
    const fromBottom = scroller.scrollHeight - scroller.scrollTop;
    const stick = switched || isAtBottom();
    const nodes: HTMLElement[] = [];
    const keep = new Set<string>();
    let previous: Msg | undefined;
    let previousDay = "";
    for (const msg of channel.messages) {
      const day = formatDay(msg.time);
      if (day !== previousDay) {
        nodes.push(daySeparator(day));
        previousDay = day;
        previous = undefined;
      }
      const grouped = previous !== undefined && previous.from === msg.from && msg.time - previous.time < GROUP_MS && previous.state !== "recalled";
      let entry = rendered.get(msg.key);
      if (!entry || entry.version !== msg.version || entry.grouped !== grouped) {
        const element = messageElement(msg, grouped);
        entry?.element.replaceWith(element);
        entry = { element, version: msg.version, grouped };
        rendered.set(msg.key, entry);
      }
      keep.add(msg.key);
      nodes.push(entry.element);
      previous = msg;
    }
    for (const key of [...rendered.keys()]) if (!keep.has(key)) rendered.delete(key);
    // Keyed reconciliation: move nodes into place without detaching the ones already there.
    let cursor: ChildNode | null = list.firstChild;
    for (const node of nodes) {
      if (node === cursor) {
        cursor = cursor.nextSibling;
        continue;
      }
      list.insertBefore(node, cursor);
    }
    while (cursor) {
      const next: ChildNode | null = cursor.nextSibling;
      list.removeChild(cursor);
      cursor = next;
    }
    replace(
      older,
      channel.loadingOlder
        ? h("span", null, "Loading older messages…")
        : channel.loaded && !channel.hasOlder
          ? h("span", null, channel.messages.length === 0 ? "No messages yet. Say hello!" : "This is the beginning of the conversation.")
          : null,
    );
    renderSeen(channel);
    if (stick) scroller.scrollTop = scroller.scrollHeight;
    else scroller.scrollTop = scroller.scrollHeight - fromBottom;
    if (stick) chat.markRead();
  };

  scroller.addEventListener("scroll", () => {
    if (scroller.scrollTop < 120) void chat.loadOlder();
    if (isAtBottom()) chat.markRead();
  });
  store.on("messages", (name) => name === store.active && render());
  store.on("reads", (name) => {
    const channel = store.activeChannel;
    if (channel && name === channel.name) renderSeen(channel);
  });
  store.on("active", render);
  document.addEventListener("visibilitychange", () => chat.markRead());
  return scroller;
}

/** "bob is typing…", under the list. */
export function typingView(chat: ChatController): HTMLElement {
  const { store } = chat;
  const line = h("div", { class: "typing", "aria-live": "polite", "data-testid": "typing" });
  const render = () => {
    const channel = store.activeChannel;
    const users = channel ? [...channel.typing.keys()].filter((u) => u !== store.me).sort() : [];
    if (users.length === 0) return replace(line);
    replace(line, h("span", { class: "dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")), `${listNames(users)} ${users.length === 1 ? "is" : "are"} typing…`);
  };
  store.on("typing", (name) => name === store.active && render());
  store.on("active", render);
  return line;
}
