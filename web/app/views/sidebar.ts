/**
 * @module web/views/sidebar
 * Rooms and direct conversations with unread badges and online dots, forms to join a room or
 * start a conversation, and the signed-in user.
 */
import type { ChatController } from "../chat.ts";
import { h, replace } from "../dom.ts";
import { channelLabel, normaliseRoom, USER_NAME } from "../format.ts";
import type { Channel } from "../store.ts";
import { avatar } from "./avatar.ts";
import { hash, logo, plus } from "./icons.ts";

/** A "+" button that reveals a one-line form; Enter submits, Escape closes. */
function addForm(label: string, placeholder: string, id: string, submit: (value: string) => string | undefined): { button: HTMLButtonElement; form: HTMLFormElement } {
  const input = h("input", { id, placeholder, "aria-label": label, autocomplete: "off", spellcheck: "false" });
  const error = h("span", { class: "add-error", role: "alert" });
  const form = h(
    "form",
    {
      class: "add-form",
      hidden: true,
      onsubmit: (event: Event) => {
        event.preventDefault();
        const problem = submit(input.value);
        error.textContent = problem ?? "";
        if (problem) return;
        input.value = "";
        form.hidden = true;
        button.setAttribute("aria-expanded", "false");
      },
      onkeydown: (event: KeyboardEvent) => {
        if (event.key !== "Escape") return;
        form.hidden = true;
        button.setAttribute("aria-expanded", "false");
        button.focus();
      },
    },
    input,
    error,
  );
  const button = h(
    "button",
    {
      class: "icon-button",
      title: label,
      "aria-label": label,
      "aria-expanded": "false",
      onclick: () => {
        form.hidden = !form.hidden;
        button.setAttribute("aria-expanded", String(!form.hidden));
        if (!form.hidden) input.focus();
      },
    },
    plus(),
  );
  return { button, form };
}

export function sidebarView(chat: ChatController): HTMLElement {
  const { store } = chat;
  const rooms = h("ul", { class: "channel-list", "aria-label": "Rooms" });
  const dms = h("ul", { class: "channel-list", "aria-label": "Direct messages" });
  const dot = h("span", { class: "conn-dot", title: "connecting" });

  const joinRoom = addForm("Join a room", "room name, e.g. random", "join-room", (text) => {
    const room = normaliseRoom(text);
    if (!room) return "Letters, digits and _ . : / - only";
    chat.joinRoom(room);
    return undefined;
  });
  const newDm = addForm("New direct message", "user name", "new-dm", (text) => {
    const user = text.trim().replace(/^@/, "");
    if (!USER_NAME.test(user)) return "Not a valid user name";
    if (user === store.me) return "That is you";
    chat.openDirect(user);
    return undefined;
  });

  const item = (channel: Channel) => {
    const active = store.active === channel.name;
    const online = channel.peer !== undefined ? store.online.get(channel.peer) : undefined;
    return h(
      "li",
      null,
      h(
        "button",
        {
          class: `channel${active ? " active" : ""}${channel.unread > 0 ? " has-unread" : ""}`,
          "aria-current": active ? "page" : undefined,
          "data-channel": channel.name,
          onclick: () => chat.open(channel.name),
        },
        channel.kind === "room"
          ? h("span", { class: "channel-icon" }, hash())
          : h("span", { class: `presence-dot${online ? " online" : ""}`, title: online ? "online" : "offline", "aria-label": online ? "online" : "offline" }),
        h("span", { class: "channel-name" }, channel.name === "*" ? "announcements" : channelLabel(channel.name)),
        channel.unread > 0 ? h("span", { class: "badge", "aria-label": `${channel.unread} unread` }, channel.unread > 99 ? "99+" : channel.unread) : null,
      ),
    );
  };

  const render = () => {
    replace(rooms, store.list("room").map(item));
    const conversations = store.list("dm");
    replace(dms, conversations.length ? conversations.map(item) : h("li", { class: "empty" }, "No conversations yet"));
  };
  const renderConnection = () => {
    dot.className = `conn-dot ${store.connection}`;
    dot.title = store.connection;
  };
  store.on("channels", render);
  store.on("active", render);
  store.on("connection", renderConnection);
  render();
  renderConnection();

  return h(
    "nav",
    { class: "sidebar", "aria-label": "Channels" },
    h("header", { class: "brand" }, logo(), h("span", null, "Hubbub"), dot),
    h("section", { class: "side-section" }, h("div", { class: "side-title" }, h("h2", null, "Rooms"), joinRoom.button), joinRoom.form, rooms),
    h("section", { class: "side-section" }, h("div", { class: "side-title" }, h("h2", null, "Direct messages"), newDm.button), newDm.form, dms),
    h(
      "footer",
      { class: "me" },
      avatar(store.me),
      h("span", { class: "me-name", "data-testid": "me" }, store.me),
      h("button", { class: "link-button", onclick: () => chat.signOut() }, "Sign out"),
    ),
  );
}
