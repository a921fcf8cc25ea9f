/**
 * @module node/handlers
 * One handler per client request type. A handler returns the REPLY result (or a promise of it),
 * `undefined` when it replies itself or the frame has no reply, and throws {@link RequestError}
 * for a reply error. Identity always comes from `session.claims`, never from the frame.
 */
import {
  FrameType,
  MessageState,
  PresenceAction,
  ReplyCode,
  toWire,
  UpdateAction,
  type BroadcastFrame,
  type CountsFrame,
  type DirectFrame,
  type EditFrame,
  type Frame,
  type HistoryFrame,
  type JoinFrame,
  type LeaveFrame,
  type PresenceFrame,
  type PublishFrame,
  type ReadFrame,
  type RecallFrame,
  type RefreshFrame,
  type StatusFrame,
  type TypingFrame,
  type AckFrame,
  type ClientFrame,
} from "../../proto/index.ts";
import { namespaceOf } from "../config.ts";
import type { ReadResult, StoredMessage } from "../store/port.ts";
import { broadcastToAll, checkRoomName, payloadBytes, publishToRoom, sendDirect } from "./actions.ts";
import { ACK_CURSOR, inboxStream, READ_CURSOR_PREFIX, readCursor, roomKey, roomStream, userKey } from "./keys.ts";
import { channelFor, storedToFrame } from "./messages.ts";
import type { NodeContext } from "./context.ts";
import { RequestError } from "./request-error.ts";
import { SessionWork, type Session } from "./session.ts";
import { HISTORY_MAX_BYTES, readCost, RECOVERY_MAX_BYTES, UNREAD_INBOX_SCAN, UNREAD_MAX, UNREAD_MAX_ROOMS, yieldToLoop } from "./costs.ts";

/** A request handler (see the module comment for what it returns). */
export type Handler<F extends ClientFrame = never> = (node: NodeContext, session: Session, frame: F) => unknown;

const HISTORY_DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;
/** Messages read per step by HISTORY and recovering JOINs (the event loop runs between steps). */
const READ_STEP = 100;

function requireRoomAccess(node: NodeContext, session: Session, room: string): void {
  checkRoomName(room);
  if (!node.policy.canJoin(session.claims, room)) throw new RequestError(ReplyCode.Forbidden, `not allowed in room ${room}`);
}

/** A channel is a room name or `@user` (the direct conversation with that user). */
function parseChannel(channel: string): { room: string } | { peer: string } {
  if (channel.startsWith("@")) {
    const peer = channel.slice(1);
    if (peer.length === 0 || peer.length > 200) throw new RequestError(ReplyCode.BadRequest, "a direct channel is @<user id>");
    return { peer };
  }
  checkRoomName(channel);
  return { room: channel };
}

function checkLimit(limit: number | undefined): number {
  const value = limit ?? HISTORY_DEFAULT_LIMIT;
  if (value < 1 || value > MAX_LIMIT) throw new RequestError(ReplyCode.BadRequest, `limit must be 1..${MAX_LIMIT}`);
  return value;
}

const wireMessages = (messages: StoredMessage[], receiver: string) => messages.map((m) => toWire(storedToFrame(m, receiver)));

const ping: Handler<ClientFrame> = (_node, session) => {
  session.send({ type: FrameType.Pong });
  return undefined;
};

async function join(node: NodeContext, session: Session, frame: JoinFrame): Promise<unknown> {
  const { room } = frame;
  requireRoomAccess(node, session, room);
  if (session.rooms.has(room)) throw new RequestError(ReplyCode.BadRequest, `already in room ${room}`);
  if (session.rooms.size >= node.config.maxRoomsPerSession) {
    throw new RequestError(ReplyCode.LimitExceeded, `at most ${node.config.maxRoomsPerSession} rooms per session`);
  }
  session.rooms.add(room);
  // This attempt owns the room's join until it completes; a LEAVE ends it, a later JOIN (after a
  // LEAVE) replaces it. `current()` says whether this attempt still owns it.
  const attempt = {};
  const joining = (session.work ??= new SessionWork()).joining;
  joining.set(room, attempt);
  const current = () => !session.closed && joining.get(room) === attempt;
  try {
    return await joinAttempt(node, session, frame, current);
  } finally {
    if (joining.get(room) === attempt) joining.delete(room);
  }
}

async function joinAttempt(node: NodeContext, session: Session, frame: JoinFrame, current: () => boolean): Promise<unknown> {
  const { room, since } = frame;
  const key = roomKey(room);
  const ns = namespaceOf(node.config.namespaces, room);
  if (ns.ephemeral) {
    session.ws.subscribe(session.topic(key));
    const change = await node.presence.join(room, session.user, session.id);
    if (!current()) return undoJoin(node, session, room);
    announceJoin(node, session, room, change);
    const result: Record<string, unknown> = { epoch: "", offset: 0, recovered: false, messages: [], users: change.users, sessions: change.sessions };
    if (since) result.reason = "ephemeral";
    return result;
  }
  const buffer = node.fanout.beginCatchUp(session, key);
  let result: Record<string, unknown>;
  let last: number;
  let change: Awaited<ReturnType<typeof node.presence.join>>;
  try {
    const stream = roomStream(room);
    const info = await node.store.streamInfo(stream);
    last = info.head;
    let messages: StoredMessage[] = [];
    let reason: string | undefined;
    if (since) {
      if (since.epoch !== info.epoch || since.offset > info.head) reason = "epoch_changed";
      else if (since.offset < info.oldest - 1) reason = "too_old";
      else if (info.head - since.offset > node.config.recoveryMaxMessages) reason = "too_many";
      else {
        // Charged (or refused, when the user's bucket is spent) before reading; page by page,
        // giving the event loop back between pages; stop at the byte budget.
        node.chargeBeforeRead(session, readCost(info.head - since.offset, 0));
        let after = since.offset;
        let bytes = 0;
        for (;;) {
          const page = await node.store.read(stream, { after, limit: READ_STEP });
          messages = messages.concat(page.messages);
          for (const m of page.messages) bytes += m.payload.byteLength;
          if (page.messages.length > 0) after = page.messages[page.messages.length - 1]!.offset;
          if (bytes > RECOVERY_MAX_BYTES) {
            reason = "too_many";
            break;
          }
          if (page.messages.length < READ_STEP || !current()) break;
          await yieldToLoop();
        }
        node.charge(session, readCost(0, bytes));
        if (reason) messages = [];
        else last = Math.max(last, after);
      }
    }
    if (!current()) {
      node.fanout.endCatchUp(session, key, false, buffer);
      return undoJoin(node, session, room);
    }
    change = await node.presence.join(room, session.user, session.id);
    result = { epoch: info.epoch, offset: last, recovered: since !== undefined && reason === undefined, messages: wireMessages(messages, session.user) };
    if (reason) result.reason = reason;
    result.users = change.users;
    result.sessions = change.sessions;
  } catch (err) {
    node.fanout.endCatchUp(session, key, false, buffer);
    if (current()) session.rooms.delete(room);
    throw err;
  }
  if (!current()) {
    node.fanout.endCatchUp(session, key, false, buffer);
    return undoJoin(node, session, room);
  }
  const buffered = node.fanout.endCatchUp(session, key, true, buffer);
  if (buffered === undefined) {
    session.rooms.delete(room);
    await node.leaveRoom(session, room);
    throw new RequestError(ReplyCode.Unavailable, "room too busy to join now, retry");
  }
  node.reply(session, frame.rid, result);
  const live = buffered.filter((f: Frame) => f.type !== FrameType.Message || f.offset > last);
  if (live.length > 0 && !session.sendBatch(live)) node.onSendFailed(session);
  announceJoin(node, session, room, change);
  return undefined;
}

/**
 * The session closed, or sent LEAVE, while this JOIN was waiting on the store or presence: the
 * close/leave cleanup ran before presence recorded the join, so take the join back. If the session
 * has since joined the room again (JOIN, LEAVE, JOIN), that later JOIN owns the room's membership,
 * subscription and presence: leave them alone. The JOIN gets ERROR 400 (if the socket is still
 * open); the LEAVE already got its reply.
 */
async function undoJoin(node: NodeContext, session: Session, room: string): Promise<undefined> {
  const open = !session.closed;
  if (open && session.work?.joining.has(room)) {
    throw new RequestError(ReplyCode.BadRequest, `left room ${room} before the join completed`);
  }
  if (open && !session.rooms.has(room)) session.ws.unsubscribe(session.topic(roomKey(room)));
  if (!session.rooms.has(room) || session.closed) await node.presence.leave(room, session.user, session.id);
  if (open) throw new RequestError(ReplyCode.BadRequest, `left room ${room} before the join completed`);
  return undefined;
}

function announceJoin(node: NodeContext, session: Session, room: string, change: { changed: boolean; users: number; sessions: number }): void {
  if (!change.changed) return;
  node.fanout.publish(
    roomKey(room),
    { type: FrameType.PresenceEvent, room, action: PresenceAction.Join, user: session.user, users: change.users, sessions: change.sessions },
    session,
  );
}

async function leave(node: NodeContext, session: Session, frame: LeaveFrame): Promise<unknown> {
  if (!session.rooms.delete(frame.room)) throw new RequestError(ReplyCode.BadRequest, `not in room ${frame.room}`);
  session.work?.joining.delete(frame.room);
  await node.leaveRoom(session, frame.room);
  return {};
}

function publish(node: NodeContext, session: Session, frame: PublishFrame): unknown {
  requireRoomAccess(node, session, frame.room);
  return publishToRoom(node, session.user, frame.room, frame.payload, frame.cmid);
}

function direct(node: NodeContext, session: Session, frame: DirectFrame): unknown {
  return sendDirect(node, session.user, frame.user, frame.payload, frame.cmid);
}

function broadcast(node: NodeContext, session: Session, frame: BroadcastFrame): unknown {
  if (!node.policy.canBroadcast(session.claims)) throw new RequestError(ReplyCode.Forbidden, "only admins may broadcast");
  return broadcastToAll(node, session.user, frame.payload);
}

async function history(node: NodeContext, session: Session, frame: HistoryFrame): Promise<unknown> {
  const limit = checkLimit(frame.limit);
  const target = parseChannel(frame.channel);
  if ("room" in target) {
    requireRoomAccess(node, session, target.room);
    if (namespaceOf(node.config.namespaces, target.room).ephemeral) {
      return { epoch: "", head: 0, oldest: 1, messages: [] };
    }
  }
  const stream = "room" in target ? roomStream(target.room) : inboxStream(session.user);
  const peer = "peer" in target ? { peer: target.peer } : {};
  const page = await readBounded(node, stream, frame, limit, peer);
  node.charge(session, readCost(0, page.readBytes)); // the limit was charged on arrival
  return { epoch: page.epoch, head: page.head, oldest: page.oldest, messages: wireMessages(page.messages, session.user) };
}

/**
 * Reads at most `limit` messages and {@link HISTORY_MAX_BYTES} of payloads (always at least one
 * message) in steps of {@link READ_STEP} messages, giving the event loop back between steps: with
 * `after`, the oldest ones after it (and before `before`); else the newest ones before `before`. So
 * neither the reply nor what is read for it grows past the byte budget by more than one step; the
 * client pages on from the last message it got.
 */
async function readBounded(
  node: NodeContext,
  stream: string,
  range: { before?: number | undefined; after?: number | undefined },
  limit: number,
  peer: { peer?: string },
): Promise<ReadResult & { readBytes: number }> {
  const forward = range.after !== undefined;
  let after = range.after;
  let before = range.before;
  let messages: StoredMessage[] = [];
  let bytes = 0;
  let readBytes = 0;
  let info: ReadResult | undefined;
  for (;;) {
    const step = Math.min(READ_STEP, limit - messages.length);
    const page = await node.store.read(stream, { limit: step, ...(after !== undefined ? { after } : {}), ...(before !== undefined ? { before } : {}), ...peer });
    info ??= page;
    for (const m of page.messages) readBytes += m.payload.byteLength;
    // Keep messages while they fit the budget (the first always does), nearest the start first.
    const ordered = forward ? page.messages : [...page.messages].reverse();
    const kept: StoredMessage[] = [];
    for (const m of ordered) {
      if (messages.length + kept.length > 0 && bytes + m.payload.byteLength > HISTORY_MAX_BYTES) break;
      bytes += m.payload.byteLength;
      kept.push(m);
    }
    messages = forward ? messages.concat(kept) : kept.reverse().concat(messages);
    const budgetSpent = kept.length < ordered.length;
    if (budgetSpent || page.messages.length < step || messages.length >= limit) break;
    if (forward) after = messages[messages.length - 1]!.offset;
    else before = messages[0]!.offset;
    await yieldToLoop();
  }
  return { epoch: info.epoch, head: info.head, oldest: info.oldest, messages, readBytes };
}

async function presence(node: NodeContext, session: Session, frame: PresenceFrame): Promise<unknown> {
  requireRoomAccess(node, session, frame.room);
  const members = await node.presence.members(frame.room);
  return { users: members, sessions: members.reduce((sum, [, n]) => sum + n, 0) };
}

async function counts(node: NodeContext, session: Session, frame: CountsFrame): Promise<unknown> {
  if (frame.room !== undefined) requireRoomAccess(node, session, frame.room);
  return node.presence.counts(frame.room);
}

async function status(node: NodeContext, _session: Session, frame: StatusFrame): Promise<unknown> {
  const states = await node.presence.status(frame.users);
  return states.map((s) => [s.user, s.online, s.lastSeen ?? null]);
}

/**
 * ACKs are coalesced: the highest offset a session ACKs within a tick is written once, after the
 * tick, so a flood of ACKs costs one store write per session per tick (and a token per frame). An
 * ACK with a `rid` is answered `{offset}` (the stored acknowledgement) once that write is done.
 */
function ack(node: NodeContext, session: Session, frame: AckFrame): Promise<{ offset: number }> | undefined {
  const work = (session.work ??= new SessionWork());
  const scheduled = work.ackPending !== undefined;
  work.ackPending = Math.max(work.ackPending ?? 0, frame.offset);
  if (!scheduled) setImmediate(() => void writeAck(node, session));
  if (frame.rid === undefined) return undefined;
  const { promise, resolve, reject } = Promise.withResolvers<{ offset: number }>();
  (work.ackWaiters ??= []).push({ resolve, reject });
  return promise;
}

async function writeAck(node: NodeContext, session: Session): Promise<void> {
  const work = (session.work ??= new SessionWork());
  const offset = work.ackPending ?? 0;
  const waiters = work.ackWaiters;
  work.ackPending = undefined;
  work.ackWaiters = undefined;
  try {
    const info = await node.store.streamInfo(inboxStream(session.user));
    const stored = await node.store.advanceCursor(session.user, ACK_CURSOR, Math.min(offset, info.head));
    for (const w of waiters ?? []) w.resolve({ offset: stored });
  } catch (err) {
    node.log.warn("ack failed", { session: session.id, err });
    for (const w of waiters ?? []) w.reject(err);
  }
}

async function modify(node: NodeContext, session: Session, id: string, edit: { payload: Uint8Array; value: unknown } | undefined): Promise<unknown> {
  const message = await node.store.getMessage(id);
  if (!message) throw new RequestError(ReplyCode.NotFound, "no such message");
  if (message.conversation.kind === "room" && !node.policy.canJoin(session.claims, message.conversation.room)) {
    throw new RequestError(ReplyCode.NotFound, "no such message");
  }
  if (message.conversation.kind === "direct" && message.from !== session.user && message.conversation.to !== session.user && session.claims.role !== "admin") {
    throw new RequestError(ReplyCode.NotFound, "no such message");
  }
  const now = node.clock.now();
  const verdict = node.policy.canModify(session.claims, message.from, message.time, now);
  if (verdict === "forbidden") throw new RequestError(ReplyCode.Forbidden, "only the sender (or an admin) may change a message");
  if (verdict === "too_late") throw new RequestError(ReplyCode.Gone, "the edit window for this message has passed");
  if (message.state === MessageState.Recalled) throw new RequestError(ReplyCode.Gone, "the message was recalled");
  const updated = await node.store.updateMessage(id, edit ? { action: "edit", payload: edit.payload, time: now } : { action: "recall", time: now });
  if (!updated) throw new RequestError(ReplyCode.NotFound, "no such message");
  const action = edit ? UpdateAction.Edit : UpdateAction.Recall;
  const push = (channel: string) => ({ type: FrameType.Update, channel, id, action, payload: edit ? edit.value : null, time: now, by: session.user }) as const;
  const conversation = message.conversation;
  if (conversation.kind === "room") {
    node.fanout.publish(roomKey(conversation.room), push(conversation.room));
  } else {
    node.fanout.publish(userKey(conversation.to), push(channelFor(conversation, message.from, conversation.to)));
    if (conversation.to !== message.from) node.fanout.publish(userKey(message.from), push(channelFor(conversation, message.from, message.from)));
  }
  return {};
}

const recall = (node: NodeContext, session: Session, frame: RecallFrame) => modify(node, session, frame.id, undefined);
const edit = (node: NodeContext, session: Session, frame: EditFrame) =>
  modify(node, session, frame.id, { payload: payloadBytes(node, frame.payload), value: frame.payload });

function typing(node: NodeContext, session: Session, frame: TypingFrame): undefined {
  let target: { room: string } | { peer: string };
  try {
    target = parseChannel(frame.channel);
  } catch {
    return undefined; // typing is best effort: bad channels are dropped silently
  }
  if ("room" in target) {
    if (session.rooms.has(target.room)) {
      node.fanout.publish(roomKey(target.room), { type: FrameType.TypingEvent, channel: target.room, user: session.user }, session);
    }
  } else if (target.peer !== session.user) {
    node.fanout.publish(userKey(target.peer), { type: FrameType.TypingEvent, channel: `@${session.user}`, user: session.user });
  }
  return undefined;
}

async function read(node: NodeContext, session: Session, frame: ReadFrame): Promise<unknown> {
  const target = parseChannel(frame.channel);
  const user = session.user;
  if ("room" in target) {
    requireRoomAccess(node, session, target.room);
    const info = await node.store.streamInfo(roomStream(target.room));
    const offset = await node.store.advanceCursor(user, readCursor(target.room), Math.min(frame.offset, info.head));
    node.fanout.publish(roomKey(target.room), { type: FrameType.ReadEvent, channel: target.room, user, offset }, session);
    return { offset };
  }
  const stream = inboxStream(user);
  const info = await node.store.streamInfo(stream);
  const offset = await node.store.advanceCursor(user, readCursor(`@${target.peer}`), Math.min(frame.offset, info.head));
  // The newest message of this conversation at or below the read position.
  const at = offset > 0 ? await node.store.read(stream, { before: offset + 1, limit: 1, peer: target.peer }) : undefined;
  const id = at?.messages[0]?.id;
  const event = (channel: string) => ({ type: FrameType.ReadEvent, channel, user, offset, ...(id ? { id } : {}) }) as const;
  if (target.peer !== user) node.fanout.publish(userKey(target.peer), event(`@${user}`));
  node.fanout.publish(userKey(user), event(`@${target.peer}`), session);
  return { offset };
}

/**
 * Unread counts. Rooms: every room the session joined or the user has a read position in (at most
 * {@link UNREAD_MAX_ROOMS}, joined ones first; at most twice that many channels in all), counting
 * other users' messages above that position, up to {@link UNREAD_MAX} (a room with more unread
 * messages than that reports UNREAD_MAX without counting them). Direct conversations: per peer,
 * messages from that peer among the newest {@link UNREAD_INBOX_SCAN} inbox messages above the
 * user's read position for that peer (conversations never read included). Each room is one step
 * (the event loop runs in between); the work is charged to the session.
 */
async function unread(node: NodeContext, session: Session): Promise<unknown> {
  const user = session.user;
  const cursors = await node.store.listCursors(user, READ_CURSOR_PREFIX);
  const result: Record<string, number> = Object.create(null);
  const rooms = new Map<string, number>();
  const peers = new Map<string, number>();
  for (const [name, offset] of cursors) {
    const channel = name.slice(READ_CURSOR_PREFIX.length);
    if (channel.startsWith("@")) peers.set(channel.slice(1), offset);
    else rooms.set(channel, offset);
  }
  // Joined rooms first, then rooms known only by a read position, at most UNREAD_MAX_ROOMS. The
  // joined rooms and the inbox scan were charged on arrival (costs.ts); the others are charged
  // before counting (refused when the bucket is spent), the messages counted and bytes read after.
  const counted = new Map<string, number>();
  for (const room of session.rooms) counted.set(room, rooms.get(room) ?? 0);
  for (const [room, offset] of rooms) {
    if (counted.size >= UNREAD_MAX_ROOMS) break;
    counted.set(room, offset);
  }
  node.chargeBeforeRead(session, counted.size - session.rooms.size);
  let scanned = 0;
  for (const [room, offset] of counted) {
    if (session.closed) return undefined;
    if (!node.policy.canJoin(session.claims, room) || namespaceOf(node.config.namespaces, room).ephemeral) continue;
    const stream = roomStream(room);
    const above = await node.store.countAfter(stream, offset);
    if (above > UNREAD_MAX) {
      result[room] = UNREAD_MAX;
      continue;
    }
    // Your own messages are never unread to you.
    result[room] = above - (await node.store.countAfter(stream, offset, user));
    scanned += above;
    await yieldToLoop();
  }
  const recent = await node.store.read(inboxStream(user), { limit: UNREAD_INBOX_SCAN });
  let recentBytes = 0;
  for (const m of recent.messages) {
    recentBytes += m.payload.byteLength;
    if (m.from === user) continue;
    if (m.offset > (peers.get(m.from) ?? 0)) result[`@${m.from}`] = (result[`@${m.from}`] ?? 0) + 1;
  }
  for (const peer of peers.keys()) {
    if (Object.keys(result).length >= UNREAD_MAX_ROOMS * 2) break;
    result[`@${peer}`] ??= 0;
  }
  node.charge(session, readCost(scanned, recentBytes));
  return result;
}

async function refresh(node: NodeContext, session: Session, frame: RefreshFrame): Promise<unknown> {
  const verdict = await node.tokens.verify(frame.token);
  if (!verdict.ok) throw new RequestError(ReplyCode.Unauthorized, verdict.message);
  if (verdict.claims.sub !== session.user) throw new RequestError(ReplyCode.Unauthorized, "the new token is for another user");
  if (node.isRevoked?.(verdict.claims)) throw new RequestError(ReplyCode.Unauthorized, "token revoked");
  session.claims = verdict.claims;
  session.tokenExpMs = verdict.claims.exp === undefined ? undefined : verdict.claims.exp * 1000;
  session.refreshAsked = false;
  return { exp: session.tokenExpMs ?? null };
}

/** Handlers by frame type. Frames missing here get ERROR 501 (if they carry a rid). */
export const HANDLERS: Partial<Record<number, Handler<never>>> = {
  [FrameType.Ping]: ping,
  [FrameType.Join]: join,
  [FrameType.Leave]: leave,
  [FrameType.Publish]: publish,
  [FrameType.Direct]: direct,
  [FrameType.Broadcast]: broadcast,
  [FrameType.History]: history,
  [FrameType.Presence]: presence,
  [FrameType.Counts]: counts,
  [FrameType.Status]: status,
  [FrameType.Ack]: ack,
  [FrameType.Recall]: recall,
  [FrameType.Edit]: edit,
  [FrameType.Typing]: typing,
  [FrameType.Read]: read,
  [FrameType.Unread]: unread,
  [FrameType.Refresh]: refresh,
};
