/**
 * @module node/fanout
 * Delivers server frames to everyone subscribed to a fan-out key, on this node and (through the
 * bus) on others. A frame is encoded once per codec and the same bytes go to every socket through
 * Bun's native `publish`. Keys: `r:<room>`, `*` (everyone) go through topics; `u:<user>` (all
 * sessions of a user) goes to that user's local sessions by direct sends.
 * Sessions that are catching up on a key get the frame buffered instead (see Node).
 */
import type { Server } from "bun";
import { type Frame, type WireCodec } from "../../proto/index.ts";
import type { Bus, BusEvent } from "../engines/bus.ts";
import { isUserKey, topicOf, userOfKey } from "./keys.ts";
import type { Session } from "./session.ts";
import { CATCH_UP_MAX_FRAMES, type CatchUpBuffer } from "./session.ts";


export class Fanout {
  private server: Server<Session> | undefined;
  /** Local sessions using the JSON codec; JSON is encoded only when there are some. */
  jsonSessions = 0;
  /** Sessions catching up, by key. */
  private readonly catchingUp = new Map<string, Set<Session>>();
  /** Fan-out deliveries made on this node (one per key published or received from the bus), for metrics. */
  published = 0;

  constructor(
    private readonly nodeId: string,
    private readonly bus: Bus,
    private readonly msgpack: WireCodec,
    private readonly json: WireCodec,
    /** Decodes a msgpack server frame received from the bus (only needed for JSON sessions and catch-up). */
    private readonly decodeServerFrame: (bytes: Uint8Array) => Frame,
    /** This node's sessions of a user: user keys are delivered to them directly, not through a topic. */
    private readonly sessionsOf: (user: string) => Iterable<Session>,
    /** Queues encoded frames for a session, written once per tick (Node.enqueue). */
    private readonly enqueue: (session: Session, data: Uint8Array | string) => void,
  ) {
    bus.onEvent((event) => this.onBusEvent(event));
  }

  attach(server: Server<Session>): void {
    this.server = server;
  }

  /** Delivers `frame` to every subscriber of `key` (all nodes). With `except`, that session is skipped. */
  publish(key: string, frame: Frame, except?: Session): void {
    const bytes = this.msgpack.encode(frame) as Uint8Array;
    this.deliverLocal(key, frame, bytes, except);
    this.bus.publish({ origin: this.nodeId, key, frame: bytes });
  }

  private onBusEvent(event: BusEvent): void {
    if (event.origin === this.nodeId) return;
    this.deliverLocal(event.key, undefined, event.frame, undefined);
  }

  private deliverLocal(key: string, frame: Frame | undefined, bytes: Uint8Array, except: Session | undefined): void {
    const server = this.server;
    if (!server) return;
    this.published++;
    if (isUserKey(key)) {
      this.deliverToUser(key, frame, bytes, except);
      return;
    }
    if (except && !except.closed) except.ws.publish(topicOf(key, true), bytes);
    else server.publish(topicOf(key, true), bytes);
    if (this.jsonSessions > 0) {
      frame ??= this.decodeServerFrame(bytes);
      const text = this.json.encode(frame) as string;
      if (except && !except.closed) except.ws.publish(topicOf(key, false), text);
      else server.publish(topicOf(key, false), text);
    }
    const waiting = this.catchingUp.get(key);
    if (waiting) {
      frame ??= this.decodeServerFrame(bytes);
      for (const session of waiting) {
        if (session === except) continue;
        const buffer = session.catchUp?.get(key);
        if (!buffer) continue;
        if (buffer.frames.length >= CATCH_UP_MAX_FRAMES) buffer.overflow = true;
        else buffer.frames.push(frame);
      }
    }
  }

  /**
   * A user key goes to that user's few sessions through their outboxes rather than a Bun topic: a
   * topic per user would cost native memory for every connected user, and the outbox writes each
   * session's frames of a tick at once. Sessions still catching up on the key get it buffered.
   */
  private deliverToUser(key: string, frame: Frame | undefined, bytes: Uint8Array, except: Session | undefined): void {
    let text: string | undefined;
    for (const session of this.sessionsOf(userOfKey(key))) {
      if (session === except || session.closed) continue;
      const buffer = session.catchUp?.get(key);
      if (buffer) {
        frame ??= this.decodeServerFrame(bytes);
        if (buffer.frames.length >= CATCH_UP_MAX_FRAMES) buffer.overflow = true;
        else buffer.frames.push(frame);
        continue;
      }
      if (session.codec.binary) this.enqueue(session, bytes);
      else {
        frame ??= this.decodeServerFrame(bytes);
        text ??= this.json.encode(frame) as string;
        this.enqueue(session, text);
      }
    }
  }

  /**
   * Starts buffering `key`'s frames for `session` (it is not yet subscribed to the topic). Returns
   * the buffer, which identifies this catch-up: a later one for the same key replaces it.
   */
  beginCatchUp(session: Session, key: string): CatchUpBuffer {
    const buffer: CatchUpBuffer = { frames: [], overflow: false };
    session.catchUp ??= new Map();
    session.catchUp.set(key, buffer);
    let set = this.catchingUp.get(key);
    if (!set) this.catchingUp.set(key, (set = new Set()));
    set.add(session);
    return buffer;
  }

  /**
   * Ends buffering: returns the buffered frames (or undefined on overflow) and subscribes the
   * session to the key's topic, in the same synchronous step so no frame is lost in between. With
   * `owner`, only that catch-up is ended: if a later one replaced it, nothing changes (and
   * undefined is returned).
   */
  endCatchUp(session: Session, key: string, subscribe: boolean, owner?: CatchUpBuffer): Frame[] | undefined {
    const buffer = session.catchUp?.get(key);
    if (owner !== undefined && buffer !== owner) return undefined;
    session.catchUp?.delete(key);
    if (session.catchUp?.size === 0) session.catchUp = undefined;
    const set = this.catchingUp.get(key);
    set?.delete(session);
    if (set?.size === 0) this.catchingUp.delete(key);
    if (subscribe && !session.closed && !isUserKey(key)) session.ws.subscribe(session.topic(key));
    if (!buffer || buffer.overflow) return undefined;
    return buffer.frames;
  }

  /** Forgets every catch-up of a closing session. */
  dropSession(session: Session): void {
    if (!session.catchUp) return;
    for (const key of [...session.catchUp.keys()]) this.endCatchUp(session, key, false);
  }
}
