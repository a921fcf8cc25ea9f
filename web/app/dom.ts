/**
 * @module web/dom
 * A tiny DOM helper: `h(tag, props, ...children)` builds elements. Text is always set as text
 * nodes (never HTML), so message content cannot inject markup.
 */

export type Child = Node | string | number | null | undefined | false | Child[];
type Listener = (event: never) => void;
export type Props = Record<string, unknown> & { class?: string };

/**
 * Creates an element. Props: `class`; `onclick`-style keys with functions become listeners;
 * `value`/`checked`/`disabled` are set as properties; `true` gives an empty attribute; `false`,
 * `null` and `undefined` are skipped; anything else becomes a string attribute.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") element.className = String(value);
      else if (key.startsWith("on") && typeof value === "function") element.addEventListener(key.slice(2), value as Listener as EventListener);
      else if (key === "value" || key === "checked" || key === "disabled") (element as unknown as Record<string, unknown>)[key] = value;
      else element.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

/** Appends children (nested arrays flattened, empty values skipped). */
export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
}

/** Replaces all children of `parent`. */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, children);
}
