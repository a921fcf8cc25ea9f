/**
 * @module hubbub/client
 * The Hubbub client SDK: a connection that reconnects by itself (jittered exponential backoff that
 * honours the server's close codes), re-joins rooms and recovers missed messages from the last
 * offsets, acknowledges the inbox, queues requests while offline and resends sends with their client
 * message ids (no duplicates), answers requests as promises with timeouts, and emits typed events.
 *
 * Runs in browsers, Bun and Node 18+ (pass `WebSocket` from the `ws` package on Node 18–21); its
 * only dependency is `hubbub/proto`.
 *
 * ```ts
 * import { HubbubClient } from "hubbub/client";
 * const client = new HubbubClient({ url: "wss://chat.example.com/ws", token: () => fetchToken() });
 * client.on("message", (m) => console.log(m.channel, m.from, m.payload));
 * await client.connect();
 * await client.join("public:lobby");
 * await client.publish("public:lobby", { text: "hello" });
 * ```
 */
export { HubbubClient } from "./client.ts";
export type { SendOptions, HistoryQuery } from "./client.ts";
export type { ClientOptions } from "./options.ts";
export { HubbubError } from "./errors.ts";
export type { ErrorKind } from "./errors.ts";
export { DEFAULT_RECONNECT, reconnectDelay } from "./backoff.ts";
export type { ReconnectOptions } from "./backoff.ts";
export { LocalClose } from "./connection.ts";
export type { WebSocketConstructor, WebSocketLike } from "./connection.ts";
export { tokenExpiry } from "./token.ts";
export type { TokenProvider, TokenSource } from "./token.ts";
export type { Unsubscribe } from "./emitter.ts";
export type {
  ChatMessage,
  ClientEvents,
  ConnectionState,
  Counts,
  DisconnectInfo,
  HistoryPage,
  MessageUpdate,
  PresenceChange,
  ReadReceipt,
  RoomJoined,
  RoomPresence,
  SendResult,
  SessionInfo,
  TypingNotice,
  UserStatus,
} from "./types.ts";
