/**
 * @module client/rooms
 * The rooms the application wants to be in, and for each the last stream position seen, so that a
 * reconnecting client re-joins with `since` and recovers what it missed (PROTOCOL.md §8.1), and
 * never emits a message twice.
 */
import { FrameType, type MessageFrame, type StreamPosition } from "../proto/index.ts";
import type { Emitter } from "./emitter.ts";
import { HubbubError } from "./errors.ts";
import type { RequestQueue } from "./requests.ts";
import { parseJoin, type JoinResult } from "./results.ts";
import type { ClientEvents, RoomJoined } from "./types.ts";

/** A room the application joined (and has not left). */
export class RoomState {
  /** The newest offset delivered and the stream's epoch; undefined until the first JOIN reply. */
  position: StreamPosition | undefined;
  /** The connection number this room is joined on (0: not joined on the current connection). */
  joinedOn = 0;
  /** A JOIN is in flight on the current connection. */
  joining = false;
  /** The last join result. */
  last: RoomJoined | undefined;
  /** `join()` calls waiting for the next successful JOIN. */
  waiters: Array<{ resolve(joined: RoomJoined): void; reject(error: Error): void }> = [];

  constructor(readonly name: string) {}

  /** The `since` to send with JOIN: the last position, except in ephemeral rooms (epoch ""), which keep nothing. */
  since(): StreamPosition | undefined {
    return this.position && this.position.epoch !== "" ? { ...this.position } : undefined;
  }

  /**
   * Accepts a stored message at `offset` for delivery: false when it was already delivered
   * (offset at or below the position), else advances the position. Offset 0 (not stored) always passes.
   */
  accept(offset: number): boolean {
    if (offset === 0 || !this.position) return true;
    if (offset <= this.position.offset) return false;
    this.position.offset = offset;
    return true;
  }

  /**
   * Records a JOIN reply. When it recovered, the position moves to the reply's head (never back);
   * otherwise the local copy is stale and the position restarts at the reply's head and epoch.
   */
  joined(epoch: string, offset: number, recovered: boolean): void {
    if (recovered && this.position && this.position.epoch === epoch) this.position.offset = Math.max(this.position.offset, offset);
    else this.position = { offset, epoch };
  }
}

/** What {@link RoomSync} needs from the client. */
export interface RoomHost {
  readonly requests: RequestQueue;
  readonly events: Emitter<ClientEvents>;
  readonly timeoutMs: number;
  /** True while a session is up (after HELLO). */
  connected(): boolean;
  /** Number of the current connection (increments at every HELLO). */
  connectionNo(): number;
  /** Delivers a recovered message (deduplicated like a live one). */
  deliver(frame: MessageFrame, recovered: boolean): void;
}

/**
 * Joins, leaves and re-joins rooms. Invariants: a room is in {@link rooms} from `join()` until
 * `leave()`, a refused join, or a removal by the server; after every HELLO each such room is joined
 * again with `since` = its last position; the JOIN reply's missed messages go through `deliver`
 * before the `joined` event, and before any live message of the room (the server's ordering).
 */
export class RoomSync {
  readonly rooms = new Map<string, RoomState>();

  constructor(private readonly host: RoomHost) {}

  /** Joins `room` now if connected, else at the next HELLO. Resolves with the join result. */
  join(name: string): Promise<RoomJoined> {
    let room = this.rooms.get(name);
    if (room?.last && room.joinedOn === this.host.connectionNo() && this.host.connected()) return Promise.resolve(room.last);
    if (!room) this.rooms.set(name, (room = new RoomState(name)));
    const target = room;
    const promise = new Promise<RoomJoined>((resolve, reject) => target.waiters.push({ resolve, reject }));
    if (this.host.connected() && !room.joining) this.#send(room, false);
    return promise;
  }

  /** Forgets `room` and leaves it on the server if this session is in it. */
  async leave(name: string): Promise<void> {
    const room = this.rooms.get(name);
    if (!room) return;
    this.rooms.delete(name);
    for (const waiter of room.waiters.splice(0)) waiter.reject(new HubbubError("closed", `left ${name} before the join completed`));
    // A JOIN still in flight sends its LEAVE when it completes (see #joined).
    if (room.joining || room.joinedOn !== this.host.connectionNo() || !this.host.connected()) return;
    await this.#leaveOnServer(name);
  }

  /** A new session is up: re-join every room (urgent requests, so in order, ahead of the queue). */
  rejoinAll(): void {
    for (const room of [...this.rooms.values()].reverse()) this.#send(room, room.position !== undefined);
  }

  /** The connection dropped: no JOIN is in flight any more. */
  dropped(): void {
    for (const room of this.rooms.values()) room.joining = false;
  }

  /** The client closed for good: fails every waiting `join()`. */
  failAll(error: HubbubError): void {
    for (const room of this.rooms.values()) for (const waiter of room.waiters.splice(0)) waiter.reject(error);
  }

  /** The server removed this session from `room` (our own PRESENCE_EVENT leave). Returns true if we were in it. */
  removed(name: string): boolean {
    if (!this.rooms.delete(name)) return false;
    this.host.events.emit("left", { room: name, removed: true });
    return true;
  }

  /** False for a message of a room we are not in, or one already delivered. */
  accept(channel: string, offset: number): boolean {
    const room = this.rooms.get(channel);
    return room !== undefined && room.accept(offset);
  }

  #send(room: RoomState, rejoin: boolean): void {
    room.joining = true;
    const since = room.since();
    const connectionNo = this.host.connectionNo();
    this.host.requests
      .add({
        frame: (rid) => (since ? { type: FrameType.Join, rid, room: room.name, since } : { type: FrameType.Join, rid, room: room.name }),
        onDrop: "reject",
        timeoutMs: this.host.timeoutMs,
        parse: parseJoin,
        urgent: true,
      })
      .then(
        (result) => this.#joined(room, result, rejoin, connectionNo),
        (error: HubbubError) => this.#failed(room, error),
      );
  }

  #joined(room: RoomState, result: JoinResult, rejoin: boolean, connectionNo: number): void {
    room.joining = false;
    if (this.rooms.get(room.name) !== room) {
      // left while joining: undo on the server
      if (this.host.connectionNo() === connectionNo) void this.#leaveOnServer(room.name);
      return;
    }
    room.joinedOn = connectionNo;
    for (const frame of result.messages) this.host.deliver(frame, true);
    room.joined(result.epoch, result.offset, result.recovered);
    const joined: RoomJoined = {
      room: room.name,
      epoch: result.epoch,
      offset: result.offset,
      recovered: result.recovered,
      missed: result.messages.length,
      users: result.users,
      sessions: result.sessions,
      rejoin,
    };
    if (result.reason !== undefined) joined.reason = result.reason;
    room.last = joined;
    for (const waiter of room.waiters.splice(0)) waiter.resolve(joined);
    this.host.events.emit("joined", joined);
  }

  #failed(room: RoomState, error: HubbubError): void {
    room.joining = false;
    if (error.kind === "disconnected" || error.kind === "timeout" || error.kind === "closed") return; // re-joined on the next connection
    // The server refused the room (forbidden, invalid, too many rooms): stop trying.
    if (this.rooms.get(room.name) === room) this.rooms.delete(room.name);
    for (const waiter of room.waiters.splice(0)) waiter.reject(error);
    if (!room.last) return;
    this.host.events.emit("error", new HubbubError(error.kind, `re-joining ${room.name} failed: ${error.message}`, error.code));
    this.host.events.emit("left", { room: room.name, removed: true });
  }

  async #leaveOnServer(room: string): Promise<void> {
    await this.host.requests
      .add({ frame: (rid) => ({ type: FrameType.Leave, rid, room }), onDrop: "resolve", timeoutMs: this.host.timeoutMs, parse: () => undefined })
      .catch((error: HubbubError) => {
        if (error.code !== 400) throw error; // 400: not in the room any more, which is what we wanted
      });
  }
}
