/**
 * @module web/admin
 * The operator dashboard at `/admin`: live connections and messages per second, rooms, users
 * online, and kicking a user. It uses the server API under `/api` with an API key (kept in this
 * tab's sessionStorage only).
 */
import { h, replace } from "../app/dom.ts";

const KEY = "hubbub.apiKey";
const POLL_MS = 2000;
const HISTORY = 60;

interface Stats {
  uptimeMs: number;
  connections: number;
  usersOnline: number;
  rooms: number;
  messages: { room: number; direct: number; broadcast: number };
}
interface RoomRow {
  room: string;
  users: number;
  sessions: number;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function api<T>(key: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`/api${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await response.json().catch(() => ({}))) as { message?: string };
  if (!response.ok) throw new ApiError(response.status, data.message ?? response.statusText);
  return data as T;
}

const root = document.getElementById("root")!;

function login(error = ""): void {
  const input = h("input", { id: "api-key", type: "password", autocomplete: "current-password", placeholder: "API key", required: true });
  const form = h(
    "form",
    {
      class: "login",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const key = input.value.trim();
        try {
          await api(key, "GET", "/stats");
          sessionStorage.setItem(KEY, key);
          dashboard(key);
        } catch (err) {
          login(err instanceof ApiError && (err.status === 401 || err.status === 403) ? "That key was refused." : String(err));
        }
      },
    },
    h("h1", null, "Hubbub admin"),
    h("label", { for: "api-key" }, "API key"),
    input,
    h("p", { class: "hint" }, "One of the server's ", h("code", null, "HUBBUB_API_KEYS"), ". Kept in this tab only."),
    h("p", { class: "error", role: "alert" }, error),
    h("button", { class: "primary", type: "submit" }, "Open dashboard"),
  );
  replace(root, h("main", { class: "login-page" }, form));
  input.focus();
}

/** A small line chart of the last values. */
function sparkline(values: number[]): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${HISTORY} 30`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("class", "spark");
  svg.setAttribute("aria-hidden", "true");
  const max = Math.max(1, ...values);
  const points = values.map((v, i) => `${i + HISTORY - values.length},${(30 - (v / max) * 28 - 1).toFixed(1)}`).join(" ");
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", points);
  svg.appendChild(line);
  return svg;
}

function card(label: string, value: string, extra?: Node): HTMLElement {
  return h("section", { class: "card" }, h("h2", null, label), h("p", { class: "value", "data-testid": label }, value), extra ?? null);
}

function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hrs = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d}d ${hrs}h` : hrs > 0 ? `${hrs}h ${m}m` : `${m}m ${s % 60}s`;
}

function dashboard(key: string): void {
  const cards = h("div", { class: "cards" });
  const rooms = h("tbody");
  const users = h("tbody");
  const status = h("p", { class: "status", role: "status" });
  const rates: number[] = [];
  let last: { at: number; total: number } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const kick = async (user: string, reconnect: boolean) => {
    try {
      const result = await api<{ disconnected: number }>(key, "POST", `/users/${encodeURIComponent(user)}/disconnect`, { reconnect });
      status.textContent = `${reconnect ? "Disconnected" : "Kicked"} ${user} (${result.disconnected} session${result.disconnected === 1 ? "" : "s"}).`;
    } catch (err) {
      status.textContent = `Could not kick ${user}: ${err instanceof Error ? err.message : String(err)}`;
    }
    void refresh();
  };

  const refresh = async () => {
    clearTimeout(timer);
    try {
      const [stats, roomList, online] = await Promise.all([
        api<Stats>(key, "GET", "/stats"),
        api<{ rooms: RoomRow[] }>(key, "GET", "/rooms"),
        api<{ users: string[]; counts: { users: number; sessions: number } }>(key, "GET", "/online?limit=500"),
      ]);
      const now = Date.now();
      const total = stats.messages.room + stats.messages.direct + stats.messages.broadcast;
      if (last) rates.push(Math.max(0, ((total - last.total) * 1000) / (now - last.at)));
      if (rates.length > HISTORY) rates.shift();
      last = { at: now, total };
      const rate = rates.at(-1) ?? 0;
      replace(
        cards,
        card("Connections", String(stats.connections)),
        card("Users online", String(stats.usersOnline)),
        card("Messages / s", rate < 10 ? rate.toFixed(1) : String(Math.round(rate)), sparkline(rates)),
        card("Rooms", String(stats.rooms)),
        card("Messages", total.toLocaleString(), h("p", { class: "sub" }, `${stats.messages.room} room · ${stats.messages.direct} direct · ${stats.messages.broadcast} broadcast`)),
        card("Uptime", formatUptime(stats.uptimeMs)),
      );
      replace(
        rooms,
        roomList.rooms.length
          ? roomList.rooms.map((r) => h("tr", null, h("td", null, r.room), h("td", { class: "num" }, r.users), h("td", { class: "num" }, r.sessions)))
          : h("tr", null, h("td", { colspan: 3, class: "empty" }, "No room has members.")),
      );
      replace(
        users,
        online.users.length
          ? online.users.map((user) =>
              h(
                "tr",
                { "data-user": user },
                h("td", null, user),
                h(
                  "td",
                  { class: "actions" },
                  h("button", { class: "small", onclick: () => void kick(user, true), title: "Close their sessions; they may reconnect (4007)" }, "Disconnect"),
                  h("button", { class: "small danger", onclick: () => void kick(user, false), title: "Close their sessions; no automatic reconnect (4503)" }, "Kick"),
                ),
              ),
            )
          : h("tr", null, h("td", { colspan: 2, class: "empty" }, "Nobody is online.")),
      );
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        sessionStorage.removeItem(KEY);
        return login("The key was refused.");
      }
      status.textContent = `Refresh failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    timer = setTimeout(() => void refresh(), POLL_MS);
  };

  replace(
    root,
    h(
      "div",
      { class: "admin" },
      h(
        "header",
        { class: "topbar" },
        h("h1", null, "Hubbub admin"),
        h("a", { href: "/" }, "Open chat"),
        h("button", { class: "link", onclick: () => (clearTimeout(timer), sessionStorage.removeItem(KEY), login()) }, "Sign out"),
      ),
      cards,
      status,
      h(
        "div",
        { class: "tables" },
        h("section", { class: "panel" }, h("h2", null, "Rooms"), h("table", null, h("thead", null, h("tr", null, h("th", null, "Room"), h("th", { class: "num" }, "Users"), h("th", { class: "num" }, "Sessions"))), rooms)),
        h("section", { class: "panel" }, h("h2", null, "Users online"), h("table", null, h("thead", null, h("tr", null, h("th", null, "User"), h("th", { class: "actions" }, ""))), users)),
      ),
    ),
  );
  void refresh();
}

const saved = sessionStorage.getItem(KEY);
if (saved) dashboard(saved);
else login();
