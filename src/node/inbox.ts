/**
 * @module node/inbox
 * Delivery of a user's offline inbox when a session connects: every direct message after the
 * user's ack cursor is pushed in offset order, then live direct messages follow with no gap and no
 * duplicate (the session buffers its user key while reading the store; see Fanout catch-up).
 */
import { DisconnectCode, FrameType, type Frame } from "../../proto/index.ts";
import { ACK_CURSOR, inboxStream, userKey } from "./keys.ts";
import { storedToFrame } from "./messages.ts";
import type { NodeContext } from "./context.ts";
import type { Session } from "./session.ts";

const PAGE = 500;

export async function deliverInbox(node: NodeContext, session: Session): Promise<void> {
  const key = userKey(session.user);
  const stream = inboxStream(session.user);
  // Most connects find nothing waiting: two cheap lookups, no range read.
  const head = await node.store.peekHead(stream);
  let after = head === 0 ? 0 : await node.store.getCursor(session.user, ACK_CURSOR);
  for (let more = after < head; more; ) {
    if (session.closed) return;
    const page = await node.store.read(stream, { after, limit: PAGE });
    if (session.closed) return;
    if (page.messages.length > 0) {
      const frames = page.messages.map((m) => storedToFrame(m, session.user));
      if (!session.sendBatch(frames)) return node.onSendFailed(session);
      after = page.messages[page.messages.length - 1]!.offset;
    }
    more = page.messages.length === PAGE;
  }
  const buffered = node.fanout.endCatchUp(session, key, true);
  if (buffered === undefined) {
    node.disconnect(session, DisconnectCode.SlowConsumer, "too many messages while delivering the inbox");
    return;
  }
  const live = buffered.filter((f: Frame) => f.type !== FrameType.Message || f.offset > after);
  if (live.length > 0 && !session.sendBatch(live)) node.onSendFailed(session);
}
