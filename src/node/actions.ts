/**
 * @module node/actions
 * The operations that create messages, shared by WebSocket handlers and the server HTTP API:
 * publish to a room, send a direct message, broadcast. Each validates size, builds the message,
 * and either fans it out at once (ephemeral rooms, broadcasts) or hands it to group commit, whose
 * fan-out happens when it is durable. Authorization is the caller's job (policy hooks for clients,
 * API keys for backends).
 */
import { FrameType, ReplyCode } from "../../proto/index.ts";
import { namespaceOf } from "../config.ts";
import { newMessageId } from "../ids.ts";
import type { CommitOutcome } from "./committer.ts";
import { onMessageCommitted, type OutgoingMessage } from "./delivery.ts";
import { EVERYONE_KEY, inboxStream, roomStream } from "./keys.ts";
import { encodePayload } from "./messages.ts";
import type { NodeContext } from "./context.ts";
import { RequestError } from "./request-error.ts";

/** What the sender hears back: the message id, its offset (room, or the sender's inbox), server time. */
export interface SendResult {
  id: string;
  offset: number;
  time: number;
  /** True when this was a resend of an already stored client message id. */
  duplicate?: boolean;
}

const ROOM_NAME = /^[A-Za-z0-9_.:\/-]{1,200}$/;

/** Names that would collide with JavaScript object machinery wherever rooms are map keys. */
const RESERVED_ROOM_NAMES: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** Throws 400 unless `room` is a valid room name. */
export function checkRoomName(room: string): void {
  if (!ROOM_NAME.test(room)) throw new RequestError(ReplyCode.BadRequest, "room names are 1..200 of A-Z a-z 0-9 _ . : / -");
  if (RESERVED_ROOM_NAMES.has(room)) throw new RequestError(ReplyCode.BadRequest, `"${room}" is reserved and cannot be a room name`);
}

/** Payload value → stored bytes; throws 413 when over `maxPayloadBytes`. */
export function payloadBytes(node: NodeContext, payload: unknown): Uint8Array {
  const bytes = encodePayload(payload);
  if (bytes.byteLength > node.config.maxPayloadBytes) {
    throw new RequestError(ReplyCode.TooLarge, `payload is ${bytes.byteLength} bytes; the limit is ${node.config.maxPayloadBytes}`);
  }
  return bytes;
}

/** Publishes to a room as `from`. Resolves once durable (at once in an ephemeral namespace). */
export function publishToRoom(node: NodeContext, from: string, room: string, payload: unknown, cmid?: string): SendResult | Promise<SendResult> {
  checkRoomName(room);
  const now = node.clock.now();
  const message: OutgoingMessage = {
    id: newMessageId(now),
    conversation: { kind: "room", room },
    from,
    time: now,
    payload: payloadBytes(node, payload),
    streams: [roomStream(room)],
    value: payload,
  };
  if (cmid !== undefined) message.cmid = cmid;
  node.stats.messages.room++;
  if (namespaceOf(node.config.namespaces, room).ephemeral) {
    if (cmid !== undefined) return publishEphemeralOnce(node, message, cmid);
    onMessageCommitted(node, message, [0]);
    return { id: message.id, offset: 0, time: now };
  }
  return node.committer.submit(message).then((o) => toSendResult(o, from));
}

/**
 * An ephemeral publish with a `cmid`: a resend of a stored message's cmid gets that message's reply
 * (PROTOCOL.md §7.4: nothing is pushed again); otherwise it is pushed at once. Ephemeral messages
 * are not stored, so their own cmids are not remembered.
 */
async function publishEphemeralOnce(node: NodeContext, message: OutgoingMessage, cmid: string): Promise<SendResult> {
  const hit = await node.store.findByClientId(message.from, cmid, message.time - node.config.idempotencyWindowMs);
  if (hit) return toSendResult({ ...hit, duplicate: true }, message.from);
  onMessageCommitted(node, message, [0]);
  return { id: message.id, offset: 0, time: message.time };
}

/**
 * The reply for a committed (or de-duplicated) message, as its sender sees it: the offset in the
 * sender's own inbox for a direct message, else in the room stream. For a resend of a remembered
 * cmid this is the original message's reply, whatever the resend targeted.
 */
function toSendResult(o: CommitOutcome, from: string): SendResult {
  const own = o.streams.indexOf(inboxStream(from));
  const offset = o.offsets[own >= 0 ? own : 0] ?? 0;
  return { id: o.id, offset, time: o.time, ...(o.duplicate ? { duplicate: true } : {}) };
}

/** Sends a direct message from `from` to `to`: stored in both inboxes, pushed to both users' sessions. */
export async function sendDirect(node: NodeContext, from: string, to: string, payload: unknown, cmid?: string): Promise<SendResult> {
  if (to.length === 0 || to.length > 200) throw new RequestError(ReplyCode.BadRequest, "user ids are 1..200 characters");
  const now = node.clock.now();
  const message: OutgoingMessage = {
    id: newMessageId(now),
    conversation: { kind: "direct", to },
    from,
    time: now,
    payload: payloadBytes(node, payload),
    streams: to === from ? [inboxStream(to)] : [inboxStream(to), inboxStream(from)],
    value: payload,
  };
  if (cmid !== undefined) message.cmid = cmid;
  node.stats.messages.direct++;
  return toSendResult(await node.committer.submit(message), from);
}

/** Pushes a message to every connected session on every node. Not stored. */
export function broadcastToAll(node: NodeContext, from: string, payload: unknown): SendResult {
  payloadBytes(node, payload);
  const now = node.clock.now();
  const id = newMessageId(now);
  node.stats.messages.broadcast++;
  node.fanout.publish(EVERYONE_KEY, { type: FrameType.Message, channel: "*", id, offset: 0, time: now, from, payload });
  return { id, offset: 0, time: now };
}
