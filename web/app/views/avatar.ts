/**
 * @module web/views/avatar
 * A round avatar with the user's initials on a colour derived from the name.
 */
import { h } from "../dom.ts";
import { hue, initials } from "../format.ts";

export function avatar(user: string, small = false): HTMLElement {
  const element = h("span", { class: small ? "avatar small" : "avatar", "aria-hidden": "true" }, initials(user));
  element.style.setProperty("--hue", String(hue(user)));
  return element;
}
