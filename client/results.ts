/**
 * @module client/results
 * REPLY results (PROTOCOL.md §8) turned into the SDK's types. Unknown keys are ignored; a result
 * of the wrong shape throws, which rejects the request with a `protocol` error.
 */
import { fromWire, type MessageFrame } from "../proto/index.ts";
import { HubbubError } from "./errors.ts";
import { toChatMessage, type ChatMessage, type Counts, type HistoryPage, type RoomPresence, type SendResult, type UserStatus } from "./types.ts";

type Result = Record<string, unknown>;

function map(result: unknown, what: string): Result {
  if (result === null || typeof result !== "object" || Array.isArray(result)) throw new HubbubError("protocol", `${what}: expected a map`);
  return result as Result;
}

function num(value: unknown, what: string): number {
  if (typeof value !== "number") throw new HubbubError("protocol", `${what}: expected a number`);
  return value;
}

/** MESSAGE frame arrays of a history or recovery result. */
export function messageFrames(value: unknown): MessageFrame[] {
  if (!Array.isArray(value)) throw new HubbubError("protocol", "messages: expected an array");
  return value.map((item) => fromWire(item, "server") as MessageFrame);
}

/** The JOIN result (§8.1). */
export interface JoinResult {
  epoch: string;
  offset: number;
  recovered: boolean;
  reason?: string;
  messages: MessageFrame[];
  users: number;
  sessions: number;
}

export function parseJoin(result: unknown): JoinResult {
  const r = map(result, "join");
  const joined: JoinResult = {
    epoch: typeof r.epoch === "string" ? r.epoch : "",
    offset: num(r.offset, "join offset"),
    recovered: r.recovered === true,
    messages: r.messages === undefined ? [] : messageFrames(r.messages),
    users: num(r.users ?? 0, "join users"),
    sessions: num(r.sessions ?? 0, "join sessions"),
  };
  if (typeof r.reason === "string") joined.reason = r.reason;
  return joined;
}

/** The PUBLISH/DIRECT result (§8.3), with the cmid the send used. */
export function parseSend(result: unknown, cmid: string): SendResult {
  const r = map(result, "send");
  return { id: String(r.id), offset: num(r.offset, "send offset"), time: num(r.time, "send time"), cmid, duplicate: r.duplicate === true };
}

/** The HISTORY result (§8.6). */
export function parseHistory(result: unknown): HistoryPage {
  const r = map(result, "history");
  const messages: ChatMessage[] = messageFrames(r.messages).map((frame) => toChatMessage(frame, false));
  return { epoch: typeof r.epoch === "string" ? r.epoch : "", head: num(r.head, "history head"), oldest: num(r.oldest, "history oldest"), messages };
}

/** The PRESENCE result (§8.7): `{users: [[user, sessions]…], sessions}`. */
export function parsePresence(result: unknown): RoomPresence {
  const r = map(result, "presence");
  const users = Array.isArray(r.users) ? r.users : [];
  return {
    users: users.map((pair) => {
      const [user, sessions] = pair as [unknown, unknown];
      return { user: String(user), sessions: num(sessions, "presence sessions") };
    }),
    sessions: num(r.sessions, "presence sessions"),
  };
}

/** The COUNTS result (§8.8). */
export function parseCounts(result: unknown): Counts {
  const r = map(result, "counts");
  return { users: num(r.users, "counts users"), sessions: num(r.sessions, "counts sessions") };
}

/** The STATUS result (§8.9): `[[user, online, lastSeen|nil]…]`. */
export function parseStatus(result: unknown): UserStatus[] {
  if (!Array.isArray(result)) throw new HubbubError("protocol", "status: expected an array");
  return result.map((row) => {
    const [user, online, lastSeen] = row as [unknown, unknown, unknown];
    const status: UserStatus = { user: String(user), online: online === true };
    if (typeof lastSeen === "number") status.lastSeen = lastSeen;
    return status;
  });
}

/** The UNREAD result (§8.14): `{channel: count}`. */
export function parseUnread(result: unknown): Record<string, number> {
  const r = map(result, "unread");
  const out: Record<string, number> = {};
  for (const [channel, count] of Object.entries(r)) if (typeof count === "number") out[channel] = count;
  return out;
}
