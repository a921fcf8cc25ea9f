/**
 * @module fast
 * Hand-written msgpack encoders and wire-array decoders for the frame types that dominate traffic
 * (MESSAGE and the other pushes, PUBLISH/DIRECT, REPLY/ERROR, ACK, PING/PONG, TYPING, JOIN).
 *
 * Why: the generic paths in `wire.ts` read and write fields by name from the frame table, and
 * property access with changing keys is several times slower in JavaScript engines than access
 * with a fixed name. These functions name every field literally.
 *
 * Invariants (checked by `test/proto/fast.test.ts` against the generic paths):
 * - `FAST_ENCODE[t](w, f)` writes exactly the bytes the generic encoder writes, for any frame.
 * - `FAST_DECODE[t](v)` returns either `undefined` ("not sure: use the generic validator", so
 *   errors are always the generic ones) or a frame deep-equal to what the generic validator returns.
 *   The caller has already checked the type and direction, and that no payload can be too deep.
 */
import {
  FrameType,
  ID_MAX,
  NAME_MAX,
  REASON_MAX,
  type AckFrame,
  type DirectFrame,
  type ErrorFrame,
  type Frame,
  type JoinFrame,
  type MessageFrame,
  type PresenceEventFrame,
  type PublishFrame,
  type ReadEventFrame,
  type ReplyFrame,
  type TypingEventFrame,
  type TypingFrame,
  type UpdateFrame,
} from "./frames.ts";
import type { MsgpackWriter } from "./msgpack-writer.ts";

/** Writes one frame of a known type; see the module invariants. */
export type FastEncode = (w: MsgpackWriter, frame: never) => void;
/** Builds a frame from a decoded wire array, or returns `undefined` to defer to the generic path. */
export type FastDecode = (v: unknown[]) => Frame | undefined;

const CHANNEL_MAX = NAME_MAX + 1;

function isStr(v: unknown, max: number): v is string {
  return typeof v === "string" && v.length > 0 && v.length <= max;
}

function isUint(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** True when `v` is absent on the wire (optional fields): undefined or nil. */
function none(v: unknown): v is null | undefined {
  return v === undefined || v === null;
}

/** Hand-written encoders by frame type; `undefined` for types that use the generic path. */
export const FAST_ENCODE: (FastEncode | undefined)[] = [];
/** Hand-written decoders by frame type; `undefined` for types that use the generic path. */
export const FAST_DECODE: (FastDecode | undefined)[] = [];

function define<F extends Frame>(type: F["type"], encode: (w: MsgpackWriter, f: F) => void, decode: (v: unknown[]) => F | undefined): void {
  FAST_ENCODE[type] = encode as FastEncode;
  FAST_DECODE[type] = decode;
}

const nothing = (w: MsgpackWriter, type: number) => {
  w.arrayHeader(1);
  w.write(type);
};
define(FrameType.Ping, (w) => nothing(w, FrameType.Ping), () => ({ type: FrameType.Ping }));
define(FrameType.Pong, (w) => nothing(w, FrameType.Pong), () => ({ type: FrameType.Pong }));

define<ReplyFrame>(
  FrameType.Reply,
  (w, f) => {
    const withResult = !none(f.result);
    w.arrayHeader(withResult ? 3 : 2);
    w.write(FrameType.Reply);
    w.write(f.rid);
    if (withResult) w.write(f.result, 2);
  },
  (v) => {
    const rid = v[1];
    const result = v[2];
    if (!isUint(rid)) return undefined;
    return none(result) ? { type: FrameType.Reply, rid } : { type: FrameType.Reply, rid, result };
  },
);

define<ErrorFrame>(
  FrameType.Error,
  (w, f) => {
    w.arrayHeader(4);
    w.write(FrameType.Error);
    w.write(f.rid);
    w.write(f.code);
    w.write(f.message);
  },
  (v) => {
    const rid = v[1];
    const code = v[2];
    const message = v[3];
    if (!isUint(rid) || !isUint(code) || typeof message !== "string" || message.length > REASON_MAX) return undefined;
    return { type: FrameType.Error, rid, code, message };
  },
);

define<JoinFrame>(
  FrameType.Join,
  (w, f) => {
    const since = f.since;
    w.arrayHeader(none(since) ? 3 : 4);
    w.write(FrameType.Join);
    w.write(f.rid);
    w.write(f.room);
    if (!none(since)) {
      w.arrayHeader(2);
      w.write(since.offset);
      w.write(since.epoch);
    }
  },
  (v) => {
    const rid = v[1];
    const room = v[2];
    const since = v[3];
    if (!isUint(rid) || !isStr(room, NAME_MAX)) return undefined;
    if (none(since)) return { type: FrameType.Join, rid, room };
    if (!Array.isArray(since) || since.length < 2) return undefined;
    const offset: unknown = since[0];
    const epoch: unknown = since[1];
    if (!isUint(offset) || typeof epoch !== "string" || epoch.length > ID_MAX) return undefined;
    return { type: FrameType.Join, rid, room, since: { offset, epoch } };
  },
);

define<PublishFrame>(
  FrameType.Publish,
  (w, f) => {
    const cmid = f.cmid;
    w.arrayHeader(none(cmid) ? 4 : 5);
    w.write(FrameType.Publish);
    w.write(f.rid);
    w.write(f.room);
    w.write(f.payload, 2);
    if (!none(cmid)) w.write(cmid);
  },
  (v) => {
    const rid = v[1];
    const room = v[2];
    const payload = v[3];
    const cmid = v[4];
    if (!isUint(rid) || !isStr(room, NAME_MAX) || payload === undefined) return undefined;
    if (none(cmid)) return { type: FrameType.Publish, rid, room, payload };
    return isStr(cmid, ID_MAX) ? { type: FrameType.Publish, rid, room, payload, cmid } : undefined;
  },
);

define<DirectFrame>(
  FrameType.Direct,
  (w, f) => {
    const cmid = f.cmid;
    w.arrayHeader(none(cmid) ? 4 : 5);
    w.write(FrameType.Direct);
    w.write(f.rid);
    w.write(f.user);
    w.write(f.payload, 2);
    if (!none(cmid)) w.write(cmid);
  },
  (v) => {
    const rid = v[1];
    const user = v[2];
    const payload = v[3];
    const cmid = v[4];
    if (!isUint(rid) || !isStr(user, NAME_MAX) || payload === undefined) return undefined;
    if (none(cmid)) return { type: FrameType.Direct, rid, user, payload };
    return isStr(cmid, ID_MAX) ? { type: FrameType.Direct, rid, user, payload, cmid } : undefined;
  },
);

define<AckFrame>(
  FrameType.Ack,
  (w, f) => {
    const withRid = !none(f.rid);
    w.arrayHeader(withRid ? 3 : 2);
    w.write(FrameType.Ack);
    w.write(f.offset);
    if (withRid) w.write(f.rid);
  },
  (v) => {
    const [, offset, rid] = v;
    if (!isUint(offset)) return undefined;
    if (none(rid)) return { type: FrameType.Ack, offset };
    return isUint(rid) ? { type: FrameType.Ack, offset, rid } : undefined;
  },
);

define<TypingFrame>(
  FrameType.Typing,
  (w, f) => {
    w.arrayHeader(2);
    w.write(FrameType.Typing);
    w.write(f.channel);
  },
  (v) => {
    const channel = v[1];
    return isStr(channel, CHANNEL_MAX) ? { type: FrameType.Typing, channel } : undefined;
  },
);

define<MessageFrame>(
  FrameType.Message,
  (w, f) => {
    const state = f.state;
    const cmid = f.cmid;
    const n = !none(cmid) ? 9 : !none(state) ? 8 : 7;
    w.arrayHeader(n);
    w.write(FrameType.Message);
    w.write(f.channel);
    w.write(f.id);
    w.write(f.offset);
    w.write(f.time);
    w.write(f.from);
    w.write(f.payload, 2);
    if (n > 7) w.write(state);
    if (n > 8) w.write(cmid);
  },
  (v) => {
    const channel = v[1];
    const id = v[2];
    const offset = v[3];
    const time = v[4];
    const from = v[5];
    const payload = v[6];
    const state = v[7];
    const cmid = v[8];
    if (!isStr(channel, CHANNEL_MAX) || !isStr(id, ID_MAX) || !isUint(offset) || !isUint(time) || !isStr(from, NAME_MAX) || payload === undefined) {
      return undefined;
    }
    const frame: MessageFrame = { type: FrameType.Message, channel, id, offset, time, from, payload };
    if (!none(state)) {
      if (!isUint(state)) return undefined;
      frame.state = state as MessageFrame["state"];
    }
    if (!none(cmid)) {
      if (!isStr(cmid, ID_MAX)) return undefined;
      frame.cmid = cmid;
    }
    return frame;
  },
);

define<UpdateFrame>(
  FrameType.Update,
  (w, f) => {
    w.arrayHeader(7);
    w.write(FrameType.Update);
    w.write(f.channel);
    w.write(f.id);
    w.write(f.action);
    w.write(f.payload, 2);
    w.write(f.time);
    w.write(f.by);
  },
  (v) => {
    const channel = v[1];
    const id = v[2];
    const action = v[3];
    const payload = v[4];
    const time = v[5];
    const by = v[6];
    if (!isStr(channel, CHANNEL_MAX) || !isStr(id, ID_MAX) || !isUint(action) || payload === undefined || !isUint(time) || !isStr(by, NAME_MAX)) {
      return undefined;
    }
    return { type: FrameType.Update, channel, id, action: action as UpdateFrame["action"], payload, time, by };
  },
);

define<PresenceEventFrame>(
  FrameType.PresenceEvent,
  (w, f) => {
    w.arrayHeader(6);
    w.write(FrameType.PresenceEvent);
    w.write(f.room);
    w.write(f.action);
    w.write(f.user);
    w.write(f.users);
    w.write(f.sessions);
  },
  (v) => {
    const room = v[1];
    const action = v[2];
    const user = v[3];
    const users = v[4];
    const sessions = v[5];
    if (!isStr(room, NAME_MAX) || !isUint(action) || !isStr(user, NAME_MAX) || !isUint(users) || !isUint(sessions)) return undefined;
    return { type: FrameType.PresenceEvent, room, action: action as PresenceEventFrame["action"], user, users, sessions };
  },
);

define<TypingEventFrame>(
  FrameType.TypingEvent,
  (w, f) => {
    w.arrayHeader(3);
    w.write(FrameType.TypingEvent);
    w.write(f.channel);
    w.write(f.user);
  },
  (v) => {
    const channel = v[1];
    const user = v[2];
    return isStr(channel, CHANNEL_MAX) && isStr(user, NAME_MAX) ? { type: FrameType.TypingEvent, channel, user } : undefined;
  },
);

define<ReadEventFrame>(
  FrameType.ReadEvent,
  (w, f) => {
    const id = f.id;
    w.arrayHeader(none(id) ? 4 : 5);
    w.write(FrameType.ReadEvent);
    w.write(f.channel);
    w.write(f.user);
    w.write(f.offset);
    if (!none(id)) w.write(id);
  },
  (v) => {
    const channel = v[1];
    const user = v[2];
    const offset = v[3];
    const id = v[4];
    if (!isStr(channel, CHANNEL_MAX) || !isStr(user, NAME_MAX) || !isUint(offset)) return undefined;
    if (none(id)) return { type: FrameType.ReadEvent, channel, user, offset };
    return isStr(id, ID_MAX) ? { type: FrameType.ReadEvent, channel, user, offset, id } : undefined;
  },
);
