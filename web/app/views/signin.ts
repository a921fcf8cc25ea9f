/**
 * @module web/views/signin
 * The sign-in card: a name in dev mode, a pasted token otherwise.
 */
import { devToken, tokenSubject, type Credentials, type ServerInfo } from "../auth.ts";
import { h } from "../dom.ts";
import { USER_NAME } from "../format.ts";
import { logo } from "./icons.ts";

/** Renders the sign-in screen; calls `done` with the credentials once they work. */
export function signInView(info: ServerInfo, done: (credentials: Credentials) => void): HTMLElement {
  const error = h("p", { class: "signin-error", role: "alert" });
  const fail = (text: string) => (error.textContent = text);

  const nameInput = h("input", {
    id: "signin-name",
    name: "name",
    autocomplete: "username",
    placeholder: "e.g. alice",
    maxlength: 64,
    required: true,
    autofocus: true,
  });
  const tokenInput = h("textarea", { id: "signin-token", name: "token", rows: 4, placeholder: "eyJhbGciOi…", spellcheck: "false", required: true });
  const button = h("button", { type: "submit", class: "primary" }, "Continue");

  const form = h(
    "form",
    {
      class: "signin-form",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        fail("");
        button.disabled = true;
        try {
          if (info.devMode) {
            const name = nameInput.value.trim();
            if (!USER_NAME.test(name)) return fail("Use 1–64 letters, digits, dots, dashes or underscores.");
            await devToken(name); // checks the endpoint answers before going on
            done({ mode: "dev", user: name });
          } else {
            const token = tokenInput.value.trim();
            const user = tokenSubject(token);
            if (!user) return fail("That does not look like a Hubbub token (a JWT with a sub claim).");
            done({ mode: "token", user, token });
          }
        } catch (err) {
          fail(err instanceof Error ? err.message : String(err));
        } finally {
          button.disabled = false;
        }
      },
    },
    info.devMode
      ? [h("label", { for: "signin-name" }, "Your name"), nameInput, h("p", { class: "hint" }, "Dev mode: the server mints a token for any name. Never expose a dev-mode server.")]
      : [h("label", { for: "signin-token" }, "Access token"), tokenInput, h("p", { class: "hint" }, "Paste a token from your backend or from ", h("code", null, "hubbub token --sub NAME"), ".")],
    error,
    button,
  );

  return h(
    "main",
    { class: "signin" },
    h("div", { class: "signin-card" }, h("div", { class: "signin-brand" }, logo(), h("h1", null, "Hubbub")), h("p", { class: "signin-lead" }, "Sign in to chat"), form),
  );
}
