/**
 * @module web/format
 * Display helpers: channel labels, times, avatar initials and colours, message text.
 */

/** `public:lobby` → `lobby`; `team:core` stays; `@bob` → `bob`. */
export function channelLabel(channel: string): string {
  if (channel.startsWith("@")) return channel.slice(1);
  return channel.startsWith("public:") ? channel.slice("public:".length) : channel;
}

/** Room names the server accepts (PROTOCOL.md §7.1). */
export const ROOM_NAME = /^[A-Za-z0-9_.:/-]{1,200}$/;
/** User names the dev sign-in accepts. */
export const USER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** A typed room name made valid: spaces become dashes, `public:` added when there is no namespace. */
export function normaliseRoom(text: string): string | undefined {
  const name = text.trim().replace(/^#/, "").replace(/\s+/g, "-");
  const full = name.includes(":") ? name : `public:${name}`;
  return ROOM_NAME.test(full) && name.length > 0 ? full : undefined;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" });

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

export function formatTime(ms: number): string {
  return timeFormat.format(ms);
}

/** A compact 24-hour time, for the margin of grouped messages. */
export function formatClock(ms: number): string {
  return clockFormat.format(ms);
}

export function formatDay(ms: number): string {
  const day = new Date(ms).toDateString();
  if (day === new Date().toDateString()) return "Today";
  if (day === new Date(Date.now() - 86_400_000).toDateString()) return "Yesterday";
  return dayFormat.format(ms);
}

export function initials(user: string): string {
  const parts = user.split(/[._-]+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0]![0]! + parts[1]![0]! : user.slice(0, 2);
  return letters.toUpperCase();
}

/** A stable hue for a user's avatar. */
export function hue(user: string): number {
  let hash = 0;
  for (let i = 0; i < user.length; i++) hash = (hash * 31 + user.charCodeAt(i)) >>> 0;
  return hash % 360;
}

/** The text of a payload: `{text}` from this app, a string, or JSON for anything else. */
export function payloadText(payload: unknown): string {
  if (payload === null || payload === undefined) return "";
  if (typeof payload === "string") return payload;
  if (typeof payload === "object" && typeof (payload as { text?: unknown }).text === "string") return (payload as { text: string }).text;
  try {
    return JSON.stringify(payload);
  } catch {
    return String(payload);
  }
}

/** "alice", "alice and bob", "alice, bob and 2 others". */
export function listNames(names: string[]): string {
  if (names.length <= 1) return names.join("");
  if (names.length === 2) return `${names[0]} and ${names[1]}`;
  if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]}`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} others`;
}
