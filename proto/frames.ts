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
  /** Largest WebSocket message the server accepts, in bytes; larger ones close the socket (4502). */
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

export interface PingFrame { type: typeof FrameType.Ping }
export interface PongFrame { type: typeof FrameType.Pong }
export interface HelloFrame {
  type: typeof FrameType.Hello;
  session: string;
  user: string;
  /** Server time, ms since the Unix epoch. */
  time: number;
  /** The client should send something (a ping at least) at this interval, ms. */
  heartbeatMs: number;
  /** When the session's token expires, ms since the Unix epoch; absent if it never does. */
  tokenExp?: number;
  limits: ServerLimits;
}
export interface ReplyFrame { type: typeof FrameType.Reply; rid: number; result?: unknown }
export interface ErrorFrame { type: typeof FrameType.Error; rid: number; code: number; message: string }
export interface DisconnectFrame { type: typeof FrameType.Disconnect; code: number; reason: string }
export interface TokenExpiringFrame { type: typeof FrameType.TokenExpiring; exp: number }

export interface JoinFrame { type: typeof FrameType.Join; rid: number; room: string; since?: StreamPosition }
export interface LeaveFrame { type: typeof FrameType.Leave; rid: number; room: string }
export interface PublishFrame { type: typeof FrameType.Publish; rid: number; room: string; payload: Payload; cmid?: string }
export interface DirectFrame { type: typeof FrameType.Direct; rid: number; user: string; payload: Payload; cmid?: string }
export interface BroadcastFrame { type: typeof FrameType.Broadcast; rid: number; payload: Payload }
export interface HistoryFrame {
  type: typeof FrameType.History;
  rid: number;
  /** A room name, or `@user` for the direct conversation with that user. */
  channel: string;
  /** Only messages with offset < before. */
  before?: number;
  /** Only messages with offset > after. */
  after?: number;
  limit?: number;
}
export interface PresenceFrame { type: typeof FrameType.Presence; rid: number; room: string }
export interface CountsFrame { type: typeof FrameType.Counts; rid: number; room?: string }
export interface StatusFrame { type: typeof FrameType.Status; rid: number; users: string[] }
/** Cumulative acknowledgement of the inbox: every inbox message with offset ≤ `offset` is delivered. No reply. */
export interface AckFrame { type: typeof FrameType.Ack; offset: number }
export interface RecallFrame { type: typeof FrameType.Recall; rid: number; id: string }
export interface EditFrame { type: typeof FrameType.Edit; rid: number; id: string; payload: Payload }
/** Ephemeral "is typing" signal; no reply, may be dropped under load. */
export interface TypingFrame { type: typeof FrameType.Typing; channel: string }
export interface ReadFrame { type: typeof FrameType.Read; rid: number; channel: string; offset: number }
export interface UnreadFrame { type: typeof FrameType.Unread; rid: number }
export interface RefreshFrame { type: typeof FrameType.Refresh; rid: number; token: string }

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
  payload: Payload;
  state?: MessageState;
  /** The client message id the sender used, so the sender's devices can match their own sends. */
  cmid?: string;
}
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
export interface TypingEventFrame { type: typeof FrameType.TypingEvent; channel: string; user: string }
export interface ReadEventFrame { type: typeof FrameType.ReadEvent; channel: string; user: string; offset: number; id?: string }

export type ClientFrame =
  | PingFrame | PongFrame | JoinFrame | LeaveFrame | PublishFrame | DirectFrame | BroadcastFrame
  | HistoryFrame | PresenceFrame | CountsFrame | StatusFrame | AckFrame | RecallFrame | EditFrame
  | TypingFrame | ReadFrame | UnreadFrame | RefreshFrame;
export type ServerFrame =
  | PingFrame | PongFrame | HelloFrame | ReplyFrame | ErrorFrame | DisconnectFrame | TokenExpiringFrame
  | MessageFrame | UpdateFrame | PresenceEventFrame | TypingEventFrame | ReadEventFrame;
export type Frame = ClientFrame | ServerFrame;

/** Which side may send a frame type. */
export type Direction = "both" | "client" | "server";

/**
 * Field kinds. `str:N` is a string of 1..N UTF-16 units; `text:N` one of 0..N; `uint` a non-negative safe integer;
 * `any` an application value (depth and key checks apply); `map` a string-keyed map;
 * `strs` an array of `str:200`; `pos` a `[offset, epoch]` pair.
 */
export type FieldKind = "uint" | "str" | "text" | "any" | "map" | "strs" | "pos";

export interface FieldSpec {
  readonly name: string;
  readonly kind: FieldKind;
  readonly optional: boolean;
  /** For `str`: maximum length in UTF-16 code units. */
  readonly max: number;
}

export interface FrameSpec {
  readonly type: FrameType;
  readonly name: string;
  readonly direction: Direction;
  readonly fields: readonly FieldSpec[];
}

/** Maximum lengths of identifiers, in UTF-16 code units. */
export const NAME_MAX = 200;
export const ID_MAX = 64;
export const TOKEN_MAX = 8192;
export const REASON_MAX = 1024;

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

/** The frame table: the single source of truth for field order and kinds. */
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
  frame(FrameType.Publish, "publish", "client", RID, ROOM, "payload:any", CMID),
  frame(FrameType.Direct, "direct", "client", RID, "user:str", "payload:any", CMID),
  frame(FrameType.Broadcast, "broadcast", "client", RID, "payload:any"),
  frame(FrameType.History, "history", "client", RID, CHANNEL, "before:uint?", "after:uint?", "limit:uint?"),
  frame(FrameType.Presence, "presence", "client", RID, ROOM),
  frame(FrameType.Counts, "counts", "client", RID, `${ROOM}?`),
  frame(FrameType.Status, "status", "client", RID, "users:strs"),
  frame(FrameType.Ack, "ack", "client", "offset:uint"),
  frame(FrameType.Recall, "recall", "client", RID, MSGID),
  frame(FrameType.Edit, "edit", "client", RID, MSGID, "payload:any"),
  frame(FrameType.Typing, "typing", "client", CHANNEL),
  frame(FrameType.Read, "read", "client", RID, CHANNEL, "offset:uint"),
  frame(FrameType.Unread, "unread", "client", RID),
  frame(FrameType.Refresh, "refresh", "client", RID, `token:str:${TOKEN_MAX}`),

  frame(FrameType.Message, "message", "server", CHANNEL, MSGID, "offset:uint", "time:uint", "from:str", "payload:any", "state:uint?", CMID),
  frame(FrameType.Update, "update", "server", CHANNEL, MSGID, "action:uint", "payload:any", "time:uint", "by:str"),
  frame(FrameType.PresenceEvent, "presence_event", "server", ROOM, "action:uint", "user:str", "users:uint", "sessions:uint"),
  frame(FrameType.TypingEvent, "typing_event", "server", CHANNEL, "user:str"),
  frame(FrameType.ReadEvent, "read_event", "server", CHANNEL, "user:str", "offset:uint", `id:str:${ID_MAX}?`),
];

/** Frame specs indexed by type number (sparse). */
export const SPEC_BY_TYPE: readonly (FrameSpec | undefined)[] = (() => {
  const table: (FrameSpec | undefined)[] = new Array(64).fill(undefined);
  for (const spec of FRAME_SPECS) table[spec.type] = spec;
  return table;
})();
