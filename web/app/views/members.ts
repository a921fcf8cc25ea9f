/**
 * @module web/views/members
 * Who is online in the open room (click someone to message them), or the peer's status in a
 * direct conversation.
 */
import type { ChatController } from "../chat.ts";
import { h, replace } from "../dom.ts";
import { avatar } from "./avatar.ts";

export function membersView(chat: ChatController): HTMLElement {
  const { store } = chat;
  const title = h("h2", { id: "members-title" });
  const list = h("ul", { class: "member-list", "aria-labelledby": "members-title" });
  const render = () => {
    const channel = store.activeChannel;
    if (!channel) return replace(list);
    if (channel.kind === "dm") {
      const online = store.online.get(channel.peer!);
      title.textContent = "Conversation";
      return replace(list, h("li", { class: "member" }, avatar(channel.peer!, true), h("span", { class: "member-name" }, channel.peer!), h("span", { class: `status ${online ? "online" : ""}` }, online ? "online" : "offline")));
    }
    const users = [...channel.members.keys()].sort((a, b) => (a === store.me ? -1 : b === store.me ? 1 : a.localeCompare(b)));
    title.textContent = `Online — ${users.length}`;
    replace(
      list,
      users.map((user) =>
        h(
          "li",
          { class: "member", "data-user": user },
          user === store.me
            ? [avatar(user, true), h("span", { class: "member-name" }, user), h("span", { class: "you" }, "you")]
            : h("button", { class: "member-button", title: `Message ${user}`, onclick: () => chat.openDirect(user) }, avatar(user, true), h("span", { class: "member-name" }, user)),
          h("span", { class: "presence-dot online", "aria-hidden": "true" }),
        ),
      ),
    );
  };
  store.on("members", (name) => name === store.active && render());
  store.on("active", render);
  store.on("channels", () => store.activeChannel?.kind === "dm" && render());
  render();
  return h("aside", { class: "members", "aria-label": "Members" }, title, list);
}
