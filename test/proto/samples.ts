/**
 * The sample frames, batches and values the golden vectors are generated from
 * (`bun test/proto/gen-vectors.ts`). Every frame type appears at least once; frames with optional
 * fields appear with and without them. Labels are unique and stable: they name vectors in PROTOCOL.md.
 */
import { DisconnectCode, ExtData, FrameType, MessageState, PresenceAction, ReplyCode, UpdateAction, type Frame } from "../../proto/index.ts";

const T = 1_732_240_000_000;
const ID = "01jd5x3k8m2q7w9zt4v6cb";
const ID2 = "01jd5x3m0a1b2c3d4e5f6g";
const TEXT = { text: "Hello everyone, this is a typical chat message of about one hundred bytes!" };

/** Labelled sample frames; one or more per frame type. */
export const SAMPLE_FRAMES: { label: string; frame: Frame }[] = [
  { label: "ping", frame: { type: FrameType.Ping } },
  { label: "pong", frame: { type: FrameType.Pong } },
  {
    label: "hello",
    frame: {
      type: FrameType.Hello,
      session: "k3v9q2m8x1z7w4p6",
      user: "alice",
      time: T,
      heartbeatMs: 25_000,
      tokenExp: T + 3_600_000,
      limits: { maxFrameBytes: 262_144, maxPayloadBytes: 65_536, maxRooms: 100, ratePerSecond: 100, rateBurst: 200 },
    },
  },
  {
    label: "hello without token expiry",
    frame: {
      type: FrameType.Hello,
      session: "k3v9q2m8x1z7w4p6",
      user: "alice",
      time: T,
      heartbeatMs: 25_000,
      limits: { maxFrameBytes: 262_144, maxPayloadBytes: 65_536, maxRooms: 100, ratePerSecond: 100, rateBurst: 200 },
    },
  },
  { label: "reply, empty result", frame: { type: FrameType.Reply, rid: 7, result: {} } },
  { label: "reply, no result", frame: { type: FrameType.Reply, rid: 8 } },
  { label: "reply to publish", frame: { type: FrameType.Reply, rid: 9, result: { id: ID, offset: 42, time: T } } },
  {
    label: "reply to join with recovery",
    frame: {
      type: FrameType.Reply,
      rid: 1,
      result: {
        epoch: "e7k2",
        offset: 43,
        recovered: true,
        messages: [[FrameType.Message, "public:lobby", ID2, 43, T + 5, "bob", { text: "hi" }]],
        users: 2,
        sessions: 3,
      },
    },
  },
  {
    label: "reply to join, not recovered",
    frame: { type: FrameType.Reply, rid: 2, result: { epoch: "e7k3", offset: 9000, recovered: false, reason: "too_many", messages: [], users: 40, sessions: 52 } },
  },
  {
    label: "reply to history",
    frame: {
      type: FrameType.Reply,
      rid: 3,
      result: { epoch: "e7k2", head: 43, oldest: 1, messages: [[FrameType.Message, "public:lobby", ID, 42, T, "alice", TEXT]] },
    },
  },
  { label: "reply to presence", frame: { type: FrameType.Reply, rid: 4, result: { users: [["alice", 2], ["bob", 1]], sessions: 3 } } },
  { label: "reply to counts", frame: { type: FrameType.Reply, rid: 5, result: { users: 2, sessions: 3 } } },
  { label: "reply to status", frame: { type: FrameType.Reply, rid: 6, result: [["alice", true, null], ["carol", false, T - 60_000]] } },
  { label: "reply to unread", frame: { type: FrameType.Reply, rid: 10, result: { "public:lobby": 3, "@bob": 1 } } },
  { label: "reply to refresh", frame: { type: FrameType.Reply, rid: 11, result: { exp: T + 7_200_000 } } },
  { label: "error", frame: { type: FrameType.Error, rid: 12, code: ReplyCode.Forbidden, message: "not allowed to join private:ops" } },
  { label: "error not tied to a request", frame: { type: FrameType.Error, rid: 0, code: ReplyCode.BadRequest, message: "a frame must be a non-empty array" } },
  { label: "disconnect", frame: { type: FrameType.Disconnect, code: DisconnectCode.ServerShutdown, reason: "server shutting down" } },
  { label: "token expiring", frame: { type: FrameType.TokenExpiring, exp: T + 60_000 } },

  { label: "join", frame: { type: FrameType.Join, rid: 1, room: "public:lobby" } },
  { label: "join with recovery", frame: { type: FrameType.Join, rid: 1, room: "public:lobby", since: { offset: 41, epoch: "e7k2" } } },
  { label: "leave", frame: { type: FrameType.Leave, rid: 2, room: "public:lobby" } },
  { label: "publish", frame: { type: FrameType.Publish, rid: 3, room: "public:lobby", payload: TEXT } },
  { label: "publish with cmid", frame: { type: FrameType.Publish, rid: 4, room: "public:lobby", payload: { text: "hi" }, cmid: "c-0001" } },
  { label: "publish binary payload", frame: { type: FrameType.Publish, rid: 5, room: "game:42", payload: new Uint8Array([0, 1, 2, 254, 255]) } },
  { label: "direct", frame: { type: FrameType.Direct, rid: 6, user: "bob", payload: { text: "psst" }, cmid: "c-0002" } },
  { label: "broadcast", frame: { type: FrameType.Broadcast, rid: 7, payload: { notice: "maintenance at 02:00 UTC" } } },
  { label: "history", frame: { type: FrameType.History, rid: 8, channel: "public:lobby" } },
  { label: "history with range", frame: { type: FrameType.History, rid: 9, channel: "@bob", before: 100, after: 50, limit: 20 } },
  { label: "history with limit only", frame: { type: FrameType.History, rid: 10, channel: "public:lobby", limit: 50 } },
  { label: "presence", frame: { type: FrameType.Presence, rid: 11, room: "public:lobby" } },
  { label: "counts", frame: { type: FrameType.Counts, rid: 12, room: "public:lobby" } },
  { label: "counts for the server", frame: { type: FrameType.Counts, rid: 13 } },
  { label: "status", frame: { type: FrameType.Status, rid: 14, users: ["alice", "carol"] } },
  { label: "ack", frame: { type: FrameType.Ack, offset: 17 } },
  { label: "ack with a rid (answered {offset})", frame: { type: FrameType.Ack, offset: 17, rid: 9 } },
  { label: "recall", frame: { type: FrameType.Recall, rid: 15, id: ID } },
  { label: "edit", frame: { type: FrameType.Edit, rid: 16, id: ID, payload: { text: "Hello everyone (edited)" } } },
  { label: "typing", frame: { type: FrameType.Typing, channel: "@bob" } },
  { label: "read", frame: { type: FrameType.Read, rid: 17, channel: "public:lobby", offset: 43 } },
  { label: "unread", frame: { type: FrameType.Unread, rid: 18 } },
  { label: "refresh", frame: { type: FrameType.Refresh, rid: 19, token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl" } },

  { label: "message", frame: { type: FrameType.Message, channel: "public:lobby", id: ID, offset: 42, time: T, from: "alice", payload: TEXT } },
  {
    label: "message, direct, with cmid",
    frame: { type: FrameType.Message, channel: "@alice", id: ID2, offset: 7, time: T, from: "alice", payload: { text: "psst" }, cmid: "c-0002" },
  },
  {
    label: "message, edited, non-ASCII",
    frame: { type: FrameType.Message, channel: "public:cafe", id: ID, offset: 42, time: T, from: "zoë", payload: { text: "Grüße 👋" }, state: MessageState.Edited },
  },
  {
    label: "message, recalled",
    frame: { type: FrameType.Message, channel: "public:lobby", id: ID, offset: 42, time: T, from: "alice", payload: null, state: MessageState.Recalled },
  },
  { label: "message, broadcast, not stored", frame: { type: FrameType.Message, channel: "*", id: ID2, offset: 0, time: T, from: "admin", payload: { notice: "hi all" } } },
  { label: "update, edit", frame: { type: FrameType.Update, channel: "public:lobby", id: ID, action: UpdateAction.Edit, payload: { text: "fixed" }, time: T + 1000, by: "alice" } },
  { label: "update, recall", frame: { type: FrameType.Update, channel: "public:lobby", id: ID, action: UpdateAction.Recall, payload: null, time: T + 2000, by: "admin" } },
  { label: "presence event", frame: { type: FrameType.PresenceEvent, room: "public:lobby", action: PresenceAction.Join, user: "bob", users: 2, sessions: 3 } },
  { label: "typing event", frame: { type: FrameType.TypingEvent, channel: "@bob", user: "bob" } },
  { label: "read event", frame: { type: FrameType.ReadEvent, channel: "public:lobby", user: "bob", offset: 43 } },
  { label: "read event with id", frame: { type: FrameType.ReadEvent, channel: "public:lobby", user: "bob", offset: 43, id: ID2 } },
];

/** Labelled sample batches (several frames in one WebSocket message). */
export const SAMPLE_BATCHES: { label: string; frames: Frame[] }[] = [
  {
    label: "hello then an unacked inbox message",
    frames: [
      {
        type: FrameType.Hello,
        session: "k3v9q2m8x1z7w4p6",
        user: "bob",
        time: T,
        heartbeatMs: 25_000,
        limits: { maxFrameBytes: 262_144, maxPayloadBytes: 65_536, maxRooms: 100, ratePerSecond: 100, rateBurst: 200 },
      },
      { type: FrameType.Message, channel: "@alice", id: ID2, offset: 7, time: T, from: "alice", payload: { text: "psst" }, cmid: "c-0002" },
    ],
  },
  {
    label: "two requests",
    frames: [
      { type: FrameType.Join, rid: 1, room: "public:lobby" },
      { type: FrameType.Publish, rid: 2, room: "public:lobby", payload: { text: "hi" } },
    ],
  },
  { label: "ack and ping", frames: [{ type: FrameType.Ack, offset: 17 }, { type: FrameType.Ping }] },
];

/**
 * Labelled msgpack values (payload encodings). `decodeOnly` marks non-canonical encodings that a
 * decoder must accept but an encoder never produces.
 */
export const SAMPLE_VALUES: { label: string; value: unknown; hex?: string; decodeOnly?: boolean }[] = [
  { label: "nil", value: null },
  { label: "false", value: false },
  { label: "true", value: true },
  { label: "positive fixint", value: 127 },
  { label: "negative fixint", value: -32 },
  { label: "uint 8", value: 200 },
  { label: "uint 16", value: 65_535 },
  { label: "uint 32", value: 4_294_967_295 },
  { label: "uint 64", value: 2 ** 53 - 1 },
  { label: "int 8", value: -128 },
  { label: "int 16", value: -32_768 },
  { label: "int 32", value: -2_147_483_648 },
  { label: "int 64", value: -(2 ** 53 - 1) },
  { label: "float 64", value: 1.5 },
  { label: "float 64, not an integer", value: -0.1 },
  { label: "fixstr", value: "hi" },
  { label: "str 8", value: "a".repeat(32) },
  { label: "str 16", value: "b".repeat(256) },
  { label: "UTF-8 string", value: "zoë 👋" },
  { label: "bin 8", value: new Uint8Array([1, 2, 3]) },
  { label: "bin 16", value: new Uint8Array(256).fill(7) },
  { label: "fixarray", value: [1, "a", null] },
  { label: "array 16", value: Array.from({ length: 16 }, (_, i) => i) },
  { label: "fixmap", value: { a: 1, b: [true] } },
  { label: "map 16", value: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i])) },
  { label: "timestamp 32", value: new Date(1_732_240_000_000) },
  { label: "timestamp 64", value: new Date(1_732_240_000_123) },
  { label: "timestamp 96", value: new Date(-1000) },
  { label: "nested", value: { user: { name: "alice", tags: ["a", "b"], avatar: new Uint8Array([137, 80, 78, 71]) } } },
  { label: "float 32 (decode only)", value: 1.5, hex: "ca3fc00000", decodeOnly: true },
  { label: "uint 16 holding a small number (decode only)", value: 5, hex: "cd0005", decodeOnly: true },
  { label: "str 8 holding a short string (decode only)", value: "hi", hex: "d9026869", decodeOnly: true },
  { label: "array 16 holding one element (decode only)", value: [1], hex: "dc000101", decodeOnly: true },
  { label: "map with an integer key (decode only)", value: { "1": "x" }, hex: "8101a178", decodeOnly: true },
  { label: "ext 8 of an unknown type (decode only)", value: new ExtData(5, new Uint8Array([1, 2, 3])), hex: "c70305010203", decodeOnly: true },
];
