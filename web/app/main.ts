/**
 * @module web/main
 * Entry point of the chat app: sign in (or reuse the remembered sign-in), then the chat screen.
 */
import { clearCredentials, loadCredentials, saveCredentials, serverInfo, type Credentials } from "./auth.ts";
import { ChatController } from "./chat.ts";
import { replace } from "./dom.ts";
import { shellView } from "./views/shell.ts";
import { signInView } from "./views/signin.ts";

const root = document.getElementById("root")!;

function startChat(credentials: Credentials): void {
  saveCredentials(credentials);
  const chat = new ChatController(credentials, () => {
    clearCredentials();
    void showSignIn();
  });
  replace(root, shellView(chat));
  chat.start();
  (window as unknown as { hubbub?: ChatController }).hubbub = chat; // for debugging in devtools
}

async function showSignIn(): Promise<void> {
  const info = await serverInfo();
  replace(root, signInView(info, startChat));
  root.querySelector<HTMLElement>("input, textarea")?.focus();
}

const remembered = loadCredentials();
if (remembered) startChat(remembered);
else void showSignIn();
