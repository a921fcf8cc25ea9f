/**
 * @module frames
 * The table of Hubbub v1 frame types: numbers, field order, field kinds, direction.
 *
 * On the wire every frame is an array whose first element is its numeric type; the remaining
 * elements are the fields in the order listed in {@link FRAME_SPECS}. Optional fields at the end
 * may be omitted; an optional field followed by a present one is sent as `nil`. Extra trailing
 * elements are ignored (forward compatibility). In TypeScript a frame is an object with `type`
 * and the named fields.
 */

/** Numeric frame types. 0–1 either side, 2–9 server control, 10–39 client requests, 40–63 server pushes. */
export const FrameType = {
  Ping: 0,
  Pong: 1,
  Hello: 2,
  Reply: 3,
  Error: 4,
  Disconnect: 5,
  TokenExpiring: 6,

  Join: 10,
  Leave: 11,
  Publish: 12,
  Direct: 13,
  Broadcast: 14,
  History: 15,
  Presence: 16,
  Counts: 17,
  Status: 18,
  Ack: 19,
  Recall: 20,
  Edit: 21,
  Typing: 22,
  Read: 23,
  Unread: 24,
  Refresh: 25,

  Message: 40,
  Update: 41,
  PresenceEvent: 42,
  TypingEvent: 43,
  ReadEvent: 44,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** `action` of an {@link UpdateFrame}. */
export const UpdateAction = { Edit: 1, Recall: 2 } as const;
export type UpdateAction = (typeof UpdateAction)[keyof typeof UpdateAction];

/** `state` of a {@link MessageFrame}: absent/0 = as sent. */
export const MessageState = { Normal: 0, Edited: 1, Recalled: 2 } as const;
export type MessageState = (typeof MessageState)[keyof typeof MessageState];

/** `action` of a {@link PresenceEventFrame}. */
export const PresenceAction = { Join: 1, Leave: 2 } as const;
export type PresenceAction = (typeof PresenceAction)[keyof typeof PresenceAction];

/** Application data: any msgpack value (in the JSON subprotocol, bytes travel as `{"$bin": base64}`). */
export type Payload = unknown;

/** A room stream position a client remembers, to recover what it missed on re-join. */
export interface StreamPosition {
  /** Offset of the last message the client has seen (0 = none). */
  offset: number;
  /** The stream's epoch when that offset was read; a different epoch means history was reset. */
  epoch: string;
}

/** Limits the server announces in {@link HelloFrame}. Unknown keys must be ignored by clients. */
export interface ServerLimits {
  /** Largest WebSocket message the server accepts, in bytes; larger ones close the socket (1009). */
  maxFrameBytes: number;
  /** Largest encoded payload of a publish/direct/broadcast/edit, in bytes; larger gets reply 413. */
  maxPayloadBytes: number;
  /** Rooms one session may be joined to at once. */
  maxRooms: number;
  /** Sustained request rate allowed per session, frames per second. */
  ratePerSecond: number;
  /** Burst allowance of the rate limiter, frames. */
  rateBurst: number;
}

/** PING (0), either side: "are you there?". The receiver answers {@link PongFrame}. Not rate limited. */
export interface PingFrame { type: typeof FrameType.Ping }
/** PONG (1), either side: the answer to a {@link PingFrame}. */
export interface PongFrame { type: typeof FrameType.Pong }
/** HELLO (2), server: always the first frame of a connection. */
export interface HelloFrame {
  type: typeof FrameType.Hello;
  /** This connection's session id. */
  session: string;
  /** The user id, from the token's `sub`. */
  user: string;
  /** Server time, ms since the Unix epoch. */
  time: number;
  /** The client should send something (a ping at least) at this interval, ms. */
  heartbeatMs: number;
  /** When the session's token expires, ms since the Unix epoch; absent if it never does. */
  tokenExp?: number;
  limits: ServerLimits;
}
/** REPLY (3), server: request `rid` succeeded. `result` depends on the request (PROTOCOL.md §8); nil and absent are the same. */
export interface ReplyFrame { type: typeof FrameType.Reply; rid: number; result?: unknown }
/** ERROR (4), server: request `rid` failed with a {@link ReplyCode}; `rid` 0 when not tied to a request. The socket stays open. */
export interface ErrorFrame { type: typeof FrameType.Error; rid: number; code: number; message: string }
/** DISCONNECT (5), server: sent right before the server closes the socket with `code`, a {@link DisconnectCode}. */
export interface DisconnectFrame { type: typeof FrameType.Disconnect; code: number; reason: string }
/** TOKEN_EXPIRING (6), server: the token expires at `exp` (ms); answer with {@link RefreshFrame} or be closed with 4006. */
export interface TokenExpiringFrame { type: typeof FrameType.TokenExpiring; exp: number }

/** JOIN (10), client: subscribe this session to `room`; with `since`, recover what was missed. Replied with the join result. */
export interface JoinFrame { type: typeof FrameType.Join; rid: number; room: string; since?: StreamPosition }
/** LEAVE (11), client: unsubscribe this session from `room`. Replied with `{}`. */
export interface LeaveFrame { type: typeof FrameType.Leave; rid: number; room: string }
/** PUBLISH (12), client: store and fan out `payload` in `room`. Replied with `{id, offset, time}`; idempotent per `cmid`. */
export interface PublishFrame { type: typeof FrameType.Publish; rid: number; room: string; payload: Payload; cmid?: string }
/** DIRECT (13), client: send `payload` to `user`'s inbox. Replied with `{id, offset, time}`; idempotent per `cmid`. */
export interface DirectFrame { type: typeof FrameType.Direct; rid: number; user: string; payload: Payload; cmid?: string }
/** BROADCAST (14), client (admins): push `payload` to every connected session; not stored. */
export interface BroadcastFrame { type: typeof FrameType.Broadcast; rid: number; payload: Payload }
/** HISTORY (15), client: read stored messages of a room or a direct conversation. Replied with `{epoch, head, oldest, messages}`. */
export interface HistoryFrame {
  type: typeof FrameType.History;
  rid: number;
  /** A room name, or `@user` for the direct conversation with that user. */
  channel: string;
  /** Only messages with offset < before. */
  before?: number;
  /** Only messages with offset > after. */
  after?: number;
  /** At most this many messages (1..1000, default 50). */
  limit?: number;
}
/** PRESENCE (16), client: who is in `room`. Replied with `{users: [[user, sessions]…], sessions}`. */
export interface PresenceFrame { type: typeof FrameType.Presence; rid: number; room: string }
/** COUNTS (17), client: users and sessions in `room`, or on the server without one. Replied with `{users, sessions}`. */
export interface CountsFrame { type: typeof FrameType.Counts; rid: number; room?: string }
/** STATUS (18), client: online state of up to {@link STRS_MAX} users. Replied with `[[user, online, lastSeen|nil]…]`. */
export interface StatusFrame { type: typeof FrameType.Status; rid: number; users: string[] }
/**
 * ACK (19), client: cumulative acknowledgement of the inbox: every inbox message with offset ≤
 * `offset` is delivered. No reply, unless `rid` is given: then REPLY `{offset}` (the stored
 * acknowledgement) once it is written.
 */
export interface AckFrame { type: typeof FrameType.Ack; offset: number; rid?: number }
/** RECALL (20), client: withdraw message `id` (its sender within the edit window, or an admin). Replied with `{}`. */
export interface RecallFrame { type: typeof FrameType.Recall; rid: number; id: string }
/** EDIT (21), client: replace the payload of message `id` (same rules as recall). Replied with `{}`. */
export interface EditFrame { type: typeof FrameType.Edit; rid: number; id: string; payload: Payload }
/** TYPING (22), client: ephemeral "is typing" signal; no reply, may be dropped under load. */
export interface TypingFrame { type: typeof FrameType.Typing; channel: string }
/** READ (23), client: move this user's read position in `channel` to `offset` (never backwards). Replied with `{offset}`. */
export interface ReadFrame { type: typeof FrameType.Read; rid: number; channel: string; offset: number }
/** UNREAD (24), client: unread counts. Replied with `{channel: count, …}`. */
export interface UnreadFrame { type: typeof FrameType.Unread; rid: number }
/** REFRESH (25), client: replace the session's token (same user). Replied with `{exp}` (ms, or nil). */
export interface RefreshFrame { type: typeof FrameType.Refresh; rid: number; token: string }

/** MESSAGE (40), server: a message in a room, a direct conversation or a broadcast. */
export interface MessageFrame {
  type: typeof FrameType.Message;
  /** Room name, `@peer` for a direct message (the other party, seen from the receiver), `*` for a broadcast. */
  channel: string;
  id: string;
  /** Position in the room stream, or in the receiver's inbox for direct messages; 0 if not stored. */
  offset: number;
  /** Server timestamp, ms since the Unix epoch. */
  time: number;
  /** Sender's user id, stamped by the server from the sender's token. */
  from: string;
  /** The application payload; nil for a recalled message. */
  payload: Payload;
  state?: MessageState;
  /** The client message id the sender used, so the sender's devices can match their own sends. */
  cmid?: string;
}
/** UPDATE (41), server: message `id` in `channel` was edited or recalled by `by` at `time`. */
export interface UpdateFrame {
  type: typeof FrameType.Update;
  channel: string;
  id: string;
  action: UpdateAction;
  /** The new payload for an edit; `nil` for a recall. */
  payload: Payload;
  time: number;
  by: string;
}
/** PRESENCE_EVENT (42), server: `user` joined (their first session) or left (their last) `room`. */
export interface PresenceEventFrame {
  type: typeof FrameType.PresenceEvent;
  room: string;
  action: PresenceAction;
  user: string;
  /** Users in the room after this event. */
  users: number;
  /** Sessions in the room after this event. */
  sessions: number;
}
/** TYPING_EVENT (43), server: `user` is typing in `channel` (a room, or `@user` for a direct conversation). */
export interface TypingEventFrame { type: typeof FrameType.TypingEvent; channel: string; user: string }
/** READ_EVENT (44), server: `user` has read `channel` up to `offset` (`id`: the message there, for direct conversations). */
export interface ReadEventFrame { type: typeof FrameType.ReadEvent; channel: string; user: string; offset: number; id?: string }

/** Frames a client may send. */
export type ClientFrame =
  | PingFrame | PongFrame | JoinFrame | LeaveFrame | PublishFrame | DirectFrame | BroadcastFrame
  | HistoryFrame | PresenceFrame | CountsFrame | StatusFrame | AckFrame | RecallFrame | EditFrame
  | TypingFrame | ReadFrame | UnreadFrame | RefreshFrame;
/** Frames a server may send. */
export type ServerFrame =
  | PingFrame | PongFrame | HelloFrame | ReplyFrame | ErrorFrame | DisconnectFrame | TokenExpiringFrame
  | MessageFrame | UpdateFrame | PresenceEventFrame | TypingEventFrame | ReadEventFrame;
/** Any frame of the v1 table. */
export type Frame = ClientFrame | ServerFrame;

/** Which side may send a frame type. */
export type Direction = "both" | "client" | "server";

/**
 * Field kinds. `str:N` is a string of 1..N UTF-16 units; `text:N` one of 0..N; `uint` a non-negative safe integer;
 * `any` any value (depth and key checks apply); `payload` an application value that may nest at most
 * {@link PAYLOAD_MAX_DEPTH} levels; `map` a string-keyed map; `strs` an array of at most
 * {@link STRS_MAX} `str:N`; `pos` a `[offset, epoch]` pair (epoch: 0..{@link ID_MAX} units).
 */
export type FieldKind = "uint" | "str" | "text" | "any" | "payload" | "map" | "strs" | "pos";

/** One field of a frame in {@link FRAME_SPECS}. */
export interface FieldSpec {
  readonly name: string;
  readonly kind: FieldKind;
  readonly optional: boolean;
  /** For `str`, `text` and `strs`: maximum length in UTF-16 code units. */
  readonly max: number;
}

/** One frame type: its number, name (lower case, as in PROTOCOL.md), sender, and fields in wire order. */
export interface FrameSpec {
  readonly type: FrameType;
  readonly name: string;
  readonly direction: Direction;
  readonly fields: readonly FieldSpec[];
}

/** Longest room name, user id, in UTF-16 code units (a channel may be one longer: `@` + user id). */
export const NAME_MAX = 200;
/** Longest message id, client message id, session id and epoch. */
export const ID_MAX = 64;
/** Longest token in REFRESH. */
export const TOKEN_MAX = 8192;
/** Longest ERROR message or DISCONNECT reason. */
export const REASON_MAX = 1024;
/** Most entries in a `strs` field (STATUS users). */
export const STRS_MAX = 1000;
/**
 * Deepest nesting inside an application payload (a scalar is level 0, `[]` or `{}` level 1). Payloads
 * are repeated inside REPLY results (history, recovery) up to 4 levels below the frame root, so this
 * keeps every frame that carries a payload within the default decode depth of 32.
 */
export const PAYLOAD_MAX_DEPTH = 24;

function f(spec: string): FieldSpec {
  // "name:kind[:max][?]"
  const optional = spec.endsWith("?");
  const [name, kind, max] = (optional ? spec.slice(0, -1) : spec).split(":") as [string, FieldKind, string?];
  return { name, kind, optional, max: max ? Number(max) : NAME_MAX };
}

function frame(type: FrameType, name: string, direction: Direction, ...fields: string[]): FrameSpec {
  return { type, name, direction, fields: fields.map(f) };
}

const RID = "rid:uint";
const ROOM = `room:str:${NAME_MAX}`;
const CHANNEL = `channel:str:${NAME_MAX + 1}`;
const CMID = `cmid:str:${ID_MAX}?`;
const MSGID = `id:str:${ID_MAX}`;

/** The frame table: the single source of truth for field order and kinds (PROTOCOL.md §3 is checked against it). */
export const FRAME_SPECS: readonly FrameSpec[] = [
  frame(FrameType.Ping, "ping", "both"),
  frame(FrameType.Pong, "pong", "both"),
  frame(FrameType.Hello, "hello", "server", `session:str:${ID_MAX}`, "user:str", "time:uint", "heartbeatMs:uint", "tokenExp:uint?", "limits:map"),
  frame(FrameType.Reply, "reply", "server", RID, "result:any?"),
  frame(FrameType.Error, "error", "server", RID, "code:uint", `message:text:${REASON_MAX}`),
  frame(FrameType.Disconnect, "disconnect", "server", "code:uint", `reason:text:${REASON_MAX}`),
  frame(FrameType.TokenExpiring, "token_expiring", "server", "exp:uint"),

  frame(FrameType.Join, "join", "client", RID, ROOM, "since:pos?"),
  frame(FrameType.Leave, "leave", "client", RID, ROOM),
  frame(FrameType.Publish, "publish", "client", RID, ROOM, "payload:payload", CMID),
  frame(FrameType.Direct, "direct", "client", RID, "user:str", "payload:payload", CMID),
  frame(FrameType.Broadcast, "broadcast", "client", RID, "payload:payload"),
  frame(FrameType.History, "history", "client", RID, CHANNEL, "before:uint?", "after:uint?", "limit:uint?"),
  frame(FrameType.Presence, "presence", "client", RID, ROOM),
  frame(FrameType.Counts, "counts", "client", RID, `${ROOM}?`),
  frame(FrameType.Status, "status", "client", RID, "users:strs"),
  frame(FrameType.Ack, "ack", "client", "offset:uint", "rid:uint?"),
  frame(FrameType.Recall, "recall", "client", RID, MSGID),
  frame(FrameType.Edit, "edit", "client", RID, MSGID, "payload:payload"),
  frame(FrameType.Typing, "typing", "client", CHANNEL),
  frame(FrameType.Read, "read", "client", RID, CHANNEL, "offset:uint"),
  frame(FrameType.Unread, "unread", "client", RID),
  frame(FrameType.Refresh, "refresh", "client", RID, `token:str:${TOKEN_MAX}`),

  frame(FrameType.Message, "message", "server", CHANNEL, MSGID, "offset:uint", "time:uint", "from:str", "payload:payload", "state:uint?", CMID),
  frame(FrameType.Update, "update", "server", CHANNEL, MSGID, "action:uint", "payload:payload", "time:uint", "by:str"),
  frame(FrameType.PresenceEvent, "presence_event", "server", ROOM, "action:uint", "user:str", "users:uint", "sessions:uint"),
  frame(FrameType.TypingEvent, "typing_event", "server", CHANNEL, "user:str"),
  frame(FrameType.ReadEvent, "read_event", "server", CHANNEL, "user:str", "offset:uint", `id:str:${ID_MAX}?`),
];

/** Frame specs indexed by type number (sparse, 64 entries: type numbers are below 64). */
export const SPEC_BY_TYPE: readonly (FrameSpec | undefined)[] = (() => {
  const table: (FrameSpec | undefined)[] = new Array(64).fill(undefined);
  for (const spec of FRAME_SPECS) table[spec.type] = spec;
  return table;
})();
