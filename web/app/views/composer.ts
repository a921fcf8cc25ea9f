/**
 * @module web/views/composer
 * The message box. Enter sends, Shift+Enter adds a line, ↑ in an empty box edits your last
 * message, Escape cancels an edit. Typing notifies the channel (the SDK throttles it).
 */
import type { ChatController } from "../chat.ts";
import { h } from "../dom.ts";
import { channelLabel } from "../format.ts";
import type { Msg } from "../store.ts";
import { send } from "./icons.ts";

export interface Composer {
  element: HTMLElement;
  /** Starts editing `msg` in the box. */
  edit(msg: Msg): void;
  focus(): void;
}

export function composerView(chat: ChatController): Composer {
  const { store } = chat;
  let editing: Msg | undefined;
  const input = h("textarea", { id: "composer", rows: 1, "aria-label": "Message", autocomplete: "off", maxlength: 4000 });
  const editBar = h("div", { class: "edit-bar", hidden: true }, h("span", null, "Editing message"), h("span", { class: "hint" }, "Enter to save · Esc to cancel"));
  const button = h("button", { type: "submit", class: "send-button", "aria-label": "Send" }, send());

  const resize = () => {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
  };
  const stopEditing = () => {
    editing = undefined;
    editBar.hidden = true;
    input.value = "";
    resize();
  };
  const startEditing = (msg: Msg) => {
    editing = msg;
    editBar.hidden = false;
    input.value = msg.text;
    resize();
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  };
  const submit = () => {
    const text = input.value;
    if (text.trim() === "") return;
    if (editing) void chat.edit(editing, text.trim());
    else chat.send(text.trim());
    stopEditing();
  };

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    } else if (event.key === "Escape" && editing) {
      event.preventDefault();
      stopEditing();
    } else if (event.key === "ArrowUp" && input.value === "" && !editing) {
      const channel = store.activeChannel;
      const mine = channel?.messages.findLast((m) => m.from === store.me && m.id !== undefined && (m.state === "sent" || m.state === "edited"));
      if (mine) {
        event.preventDefault();
        startEditing(mine);
      }
    }
  });
  input.addEventListener("input", () => {
    resize();
    if (!editing && input.value !== "") chat.typing();
  });
  const placeholder = () => {
    const name = store.active;
    input.placeholder = name ? `Message ${name.startsWith("@") ? "@" : "#"}${channelLabel(name)}` : "";
    if (editing) stopEditing();
  };
  store.on("active", placeholder);
  placeholder();

  const element = h(
    "form",
    {
      class: "composer",
      onsubmit: (event: Event) => {
        event.preventDefault();
        submit();
        input.focus();
      },
    },
    editBar,
    h("div", { class: "composer-row" }, input, button),
  );
  return { element, edit: startEditing, focus: () => input.focus() };
}
