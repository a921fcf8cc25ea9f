/**
 * @module node/messages
 * Conversions between stored messages and MESSAGE frames (stream keys are in node/keys.ts).
 * Direct messages are shown from the receiver's side: the channel is `@<the other party>`.
 */
import { FrameType, MessageState, MsgpackReader, MsgpackWriter, type MessageFrame } from "../../proto/index.ts";
import type { Conversation, StoredMessage } from "../store/port.ts";


/** The channel a receiver sees a message in. */
export function channelFor(conversation: Conversation, from: string, receiver: string): string {
  if (conversation.kind === "room") return conversation.room;
  return receiver === from ? `@${conversation.to}` : `@${from}`;
}

const writer = new MsgpackWriter();
const reader = new MsgpackReader();

/** Payload value → bytes for storage (proto's msgpack writer: same bytes as the wire). */
export function encodePayload(payload: unknown): Uint8Array {
  writer.start();
  writer.write(payload);
  return writer.finish();
}

/**
 * Stored payload bytes → value; a recalled message's empty payload is `null`. Never throws: every
 * way in validates payloads, but a payload stored before that (or damaged on disk) that the
 * protocol's rules refuse is read as `null`, so one bad message cannot make a read fail for everyone.
 */
export function decodePayload(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) return null;
  try {
    reader.reset(bytes);
    return reader.read();
  } catch {
    return null;
  }
}

/** A stored message as the MESSAGE frame `receiver` should see. */
export function storedToFrame(message: StoredMessage, receiver: string): MessageFrame {
  const frame: MessageFrame = {
    type: FrameType.Message,
    channel: channelFor(message.conversation, message.from, receiver),
    id: message.id,
    offset: message.offset,
    time: message.time,
    from: message.from,
    payload: decodePayload(message.payload),
  };
  if (message.state !== MessageState.Normal) frame.state = message.state as MessageState;
  if (message.cmid !== undefined) frame.cmid = message.cmid;
  return frame;
}
