/**
 * @module node/keys
 * Every string-key namespace of the node, in one place:
 * - **stream keys** name a message log in the store: `room:<room>`, `inbox:<user>`;
 * - **fan-out keys** name who receives a pushed frame: `r:<room>`, `u:<user>`, `*` (everyone);
 * - **topics** are Bun pub/sub topics, a fan-out key per codec: `m:<key>` (msgpack), `j:<key>` (JSON);
 * - **cursor names** are a user's positions in the store: `ack` (the inbox acknowledgement) and
 *   `read:<channel>` (a read position, the channel a room or `@<peer>`).
 */

/** Prefix of room stream keys (also the retention rules' prefix for a room namespace). */
export const ROOM_STREAM_PREFIX = "room:";
/** Prefix of inbox stream keys. */
export const INBOX_STREAM_PREFIX = "inbox:";

/** The store stream of a room. */
export const roomStream = (room: string): string => ROOM_STREAM_PREFIX + room;
/** The store stream of a user's direct messages. */
export const inboxStream = (user: string): string => INBOX_STREAM_PREFIX + user;

/** Fan-out key of a room's sessions. */
export const roomKey = (room: string): string => `r:${room}`;
/** Fan-out key of all of a user's sessions (delivered without a Bun topic). */
export const userKey = (user: string): string => `u:${user}`;
/** Fan-out key of every session. */
export const EVERYONE_KEY = "*";
/** True for a user fan-out key. */
export const isUserKey = (key: string): boolean => key.startsWith("u:");
/** The user of a user fan-out key. */
export const userOfKey = (key: string): string => key.slice(2);

/** The Bun topic of a fan-out key for sessions of one codec. */
export const topicOf = (key: string, binary: boolean): string => (binary ? "m:" : "j:") + key;

/** Cursor of a user's inbox acknowledgement. */
export const ACK_CURSOR = "ack";
/** Prefix of read-position cursors. */
export const READ_CURSOR_PREFIX = "read:";
/** Cursor of a user's read position in `channel` (a room name or `@<peer>`). */
export const readCursor = (channel: string): string => READ_CURSOR_PREFIX + channel;
