/**
 * @module web/views/shell
 * The chat screen: sidebar, channel header, connection banner, messages, typing line, composer
 * and members panel. On narrow screens the sidebar and members panel slide over the messages.
 */
import type { ChatController } from "../chat.ts";
import { h, replace } from "../dom.ts";
import { channelLabel } from "../format.ts";
import { composerView } from "./composer.ts";
import { hash, menu, people } from "./icons.ts";
import { membersView } from "./members.ts";
import { messageListView, typingView } from "./messages.ts";
import { sidebarView } from "./sidebar.ts";

export function shellView(chat: ChatController): HTMLElement {
  const { store } = chat;
  const composer = composerView(chat);
  const sidebar = sidebarView(chat);
  const members = membersView(chat);
  const title = h("h1", { class: "channel-title" });
  const subtitle = h("span", { class: "channel-subtitle", "data-testid": "counts" });
  const banner = h("div", { class: "banner", role: "status", "aria-live": "polite", "data-testid": "banner" });
  const notice = h("div", { class: "notice", id: "status-message", role: "alert" });
  const root = h("div", { class: "app" });

  const toggle = (panel: "sidebar-open" | "members-open") => () => {
    const open = !root.classList.contains(panel);
    root.classList.remove("sidebar-open", "members-open");
    root.classList.toggle(panel, open);
  };
  const scrim = h("div", { class: "scrim", onclick: () => root.classList.remove("sidebar-open", "members-open") });

  const header = h(
    "header",
    { class: "channel-header" },
    h("button", { class: "icon-button only-narrow", "aria-label": "Channels", onclick: toggle("sidebar-open") }, menu()),
    h("div", { class: "channel-heading" }, title, subtitle),
    h("button", { class: "icon-button members-toggle", "aria-label": "Members", onclick: toggle("members-open") }, people()),
  );

  const renderHeader = () => {
    const channel = store.activeChannel;
    if (!channel) {
      replace(title, "No channel");
      replace(subtitle);
      return;
    }
    replace(title, channel.kind === "room" ? h("span", { class: "channel-icon" }, hash()) : h("span", { class: "at" }, "@"), channel.name === "*" ? "announcements" : channelLabel(channel.name));
    if (channel.kind === "room") {
      const { users, sessions } = channel.counts;
      subtitle.textContent = `${users} online${sessions > users ? ` · ${sessions} sessions` : ""}`;
    } else {
      subtitle.textContent = store.online.get(channel.peer!) ? "online" : "offline";
    }
  };

  const renderBanner = () => {
    const state = store.connection;
    root.dataset.connection = state;
    if (state === "connected" || state === "idle") return replace(banner);
    if (state === "closed") {
      return replace(banner, h("span", null, `Disconnected: ${store.closedReason ?? "closed"}.`), h("button", { class: "link-button", onclick: () => chat.signOut() }, "Sign in again"));
    }
    const queued = store.pending > 0 ? ` ${store.pending} message${store.pending === 1 ? "" : "s"} will be sent when it is back.` : " Messages you send will be delivered when it is back.";
    replace(banner, h("span", { class: "spinner", "aria-hidden": "true" }), state === "connecting" ? "Connecting…" : `Reconnecting…${queued}`);
  };

  let noticeTimer: ReturnType<typeof setTimeout> | undefined;
  store.on("notice", () => {
    notice.textContent = store.notice;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => (notice.textContent = ""), 5000);
  });
  store.on("active", () => {
    renderHeader();
    root.classList.remove("sidebar-open");
    composer.focus();
  });
  store.on("members", (name) => name === store.active && renderHeader());
  store.on("channels", renderHeader);
  store.on("connection", renderBanner);
  renderHeader();
  renderBanner();

  const main = h("main", { class: "chat" }, header, banner, messageListView(chat, { edit: (msg) => composer.edit(msg) }), typingView(chat), notice, composer.element);
  root.append(sidebar, main, members, scrim);
  return root;
}
