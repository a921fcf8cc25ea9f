/**
 * @module node/delivery
 * What happens to a message once it is durable (or, in an ephemeral room, at once): the MESSAGE
 * push to everyone who should see it. Room messages go to the room's key, encoded once; a direct
 * message goes to every session of the recipient and of the sender (multi-device sync), each side
 * seeing its own inbox offset and `@<other party>` as the channel.
 */
import { FrameType, type MessageFrame } from "../../proto/index.ts";
import type { NewMessage } from "../store/port.ts";
import { roomKey, userKey } from "./keys.ts";
import type { NodeContext } from "./context.ts";

/** A message on its way through the committer, with its decoded payload kept for the push. */
export interface OutgoingMessage extends NewMessage {
  value: unknown;
}

/** Fans out a message; `offsets` are its offsets in `message.streams` (zeros when not stored). */
export function onMessageCommitted(node: NodeContext, message: NewMessage, offsets: number[]): void {
  const { conversation, id, time, from, cmid } = message;
  const value = (message as OutgoingMessage).value;
  const frame = (channel: string, offset: number): MessageFrame => {
    const f: MessageFrame = { type: FrameType.Message, channel, id, offset, time, from, payload: value };
    if (cmid !== undefined) f.cmid = cmid;
    return f;
  };
  if (conversation.kind === "room") {
    node.fanout.publish(roomKey(conversation.room), frame(conversation.room, offsets[0] ?? 0));
    node.events.delivered("room", node.clock.now() - time);
    return;
  }
  const to = conversation.to;
  node.fanout.publish(userKey(to), frame(`@${from}`, offsets[0] ?? 0));
  if (to !== from) node.fanout.publish(userKey(from), frame(`@${to}`, offsets[1] ?? 0));
  node.events.delivered("direct", node.clock.now() - time);
  node.events.directCommitted(message);
}
