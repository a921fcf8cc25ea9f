/**
 * @module client/types
 * The data the SDK hands to applications: messages, updates, presence, typing, read receipts,
 * request results, connection state. Plain objects built from protocol frames (PROTOCOL.md §3, §8).
 */
import { MessageState, PresenceAction, UpdateAction, type MessageFrame, type Payload, type ServerLimits } from "../proto/index.ts";

/**
 * The connection's life:
 * `idle` (not started) → `connecting` (first attempt) → `connected` (HELLO received) →
 * `reconnecting` (dropped; waiting or trying again) → `connected` … → `closed` (by `close()` or a
 * close code that forbids reconnecting; final).
 */
export type ConnectionState = "idle" | "connecting" | "connected" | "reconnecting" | "closed";

/** A message in a room (`channel` = room name), a direct conversation (`@peer`) or a broadcast (`*`). */
export interface ChatMessage {
  /** Room name, `@peer` (the other party of a direct conversation) or `*` (broadcast). */
  channel: string;
  id: string;
  /** Offset in the room stream, or in this user's inbox for direct messages; 0 = not stored. */
  offset: number;
  /** Server time, ms since the Unix epoch. */
  time: number;
  /** The sender, stamped by the server. */
  from: string;
  /** Application data; `null` once recalled. */
  payload: Payload;
  state: "sent" | "edited" | "recalled";
  /** The client message id the sender used, if any: lets the sender match its own sends. */
  cmid?: string;
  /** True when the message came with a recovering JOIN (it was missed while disconnected). */
  recovered: boolean;
}

/** A message was edited (`payload` is the new one) or recalled (`payload` is `null`). */
export interface MessageUpdate {
  channel: string;
  id: string;
  action: "edit" | "recall";
  payload: Payload;
  time: number;
  /** Who changed it (the sender or an admin). */
  by: string;
}

/** A user arrived in (first session) or left (last session) a room; counts are after the change. */
export interface PresenceChange {
  room: string;
  action: "join" | "leave";
  user: string;
  users: number;
  sessions: number;
}

/** `user` is typing in `channel` (a room, or `@user` for a direct conversation). Expire it after ~5 s. */
export interface TypingNotice {
  channel: string;
  user: string;
}

/** `user` has read `channel` up to `offset`; for direct conversations `id` names the message there. */
export interface ReadReceipt {
  channel: string;
  user: string;
  offset: number;
  id?: string;
}

/** What HELLO told the client about its session. */
export interface SessionInfo {
  session: string;
  user: string;
  /** Server time at HELLO, ms. */
  serverTime: number;
  heartbeatMs: number;
  /** Token expiry, ms; undefined if it never expires. */
  tokenExp?: number;
  limits: ServerLimits;
  /** False for the first connection, true for every reconnection. */
  reconnected: boolean;
}

/** Why the connection closed. */
export interface DisconnectInfo {
  code: number;
  reason: string;
  /** False when the client stops for good (4500–4999 or `close()`). */
  willReconnect: boolean;
  /** When it will try again, ms from now, if it will. */
  delayMs?: number;
}

/** A room was (re)joined. Emitted for the first join and after every reconnection. */
export interface RoomJoined {
  room: string;
  epoch: string;
  /** The room stream's head when the subscription started. */
  offset: number;
  /** True when every message missed since the last known position was delivered. */
  recovered: boolean;
  /** Why recovery failed (`epoch_changed`, `too_old`, `too_many`, `ephemeral`): reload history. */
  reason?: string;
  /** Missed messages delivered with this join (already emitted as `message` events). */
  missed: number;
  users: number;
  sessions: number;
  /** True when this join re-established a room after a reconnection. */
  rejoin: boolean;
}

/** Result of a publish or direct send. */
export interface SendResult {
  id: string;
  /** Offset in the room stream, or in the sender's inbox for a direct message; 0 if not stored. */
  offset: number;
  time: number;
  /** The client message id the send used (given or generated). */
  cmid: string;
  /** True when the server had already stored this cmid (a resend after a lost reply). */
  duplicate: boolean;
}

/** A page of stored messages, oldest first. */
export interface HistoryPage {
  epoch: string;
  /** Newest offset of the stream (0 if empty). */
  head: number;
  /** Oldest offset still kept (head + 1 when empty). */
  oldest: number;
  messages: ChatMessage[];
}

/** Users in a room with their session counts, sorted by user id. */
export interface RoomPresence {
  users: Array<{ user: string; sessions: number }>;
  sessions: number;
}

/** Users and sessions, in a room or on the server. */
export interface Counts {
  users: number;
  sessions: number;
}

/** A user's online state; `lastSeen` (ms) is set once their last session ended. */
export interface UserStatus {
  user: string;
  online: boolean;
  lastSeen?: number;
}

/** Every event the client emits, with its value. */
export interface ClientEvents {
  /** The connection state changed. */
  state: { state: ConnectionState; previous: ConnectionState };
  /** HELLO arrived: the session is ready (rooms are being re-joined, queued requests resent). */
  connected: SessionInfo;
  /** The socket closed. */
  disconnected: DisconnectInfo;
  message: ChatMessage;
  update: MessageUpdate;
  presence: PresenceChange;
  typing: TypingNotice;
  read: ReadReceipt;
  /** A room was joined or re-joined. When `recovered` is false after a rejoin, reload its history. */
  joined: RoomJoined;
  /** A room was left, or the server removed this session from it. */
  left: { room: string; removed: boolean };
  /** Something failed outside a request's promise (token refresh, a rejoin refused, a listener threw). */
  error: import("./errors.ts").HubbubError;
}

const STATES: Record<number, ChatMessage["state"]> = { [MessageState.Edited]: "edited", [MessageState.Recalled]: "recalled" };

/** A MESSAGE frame as a {@link ChatMessage}. Unknown states read as "sent" (PROTOCOL.md §3). */
export function toChatMessage(frame: MessageFrame, recovered: boolean): ChatMessage {
  const message: ChatMessage = {
    channel: frame.channel,
    id: frame.id,
    offset: frame.offset,
    time: frame.time,
    from: frame.from,
    payload: frame.payload ?? null,
    state: STATES[frame.state ?? 0] ?? "sent",
    recovered,
  };
  if (frame.cmid !== undefined) message.cmid = frame.cmid;
  return message;
}

/** `"edit"`/`"recall"` for a known UPDATE action, else undefined (ignore the frame). */
export function updateAction(action: number): MessageUpdate["action"] | undefined {
  return action === UpdateAction.Edit ? "edit" : action === UpdateAction.Recall ? "recall" : undefined;
}

/** `"join"`/`"leave"` for a known PRESENCE_EVENT action, else undefined (ignore the frame). */
export function presenceAction(action: number): PresenceChange["action"] | undefined {
  return action === PresenceAction.Join ? "join" : action === PresenceAction.Leave ? "leave" : undefined;
}
