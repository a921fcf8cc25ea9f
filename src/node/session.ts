/**
 * @module node/session
 * One WebSocket connection's state: identity (from the verified token, never from frames), codec,
 * joined rooms, heartbeat and token-expiry clocks, rate-limit bucket, and catch-up buffers.
 * Owned by the node; stored as the Bun socket's `data`.
 */
import type { ServerWebSocket } from "bun";
import type { Frame, WireCodec } from "../../proto/index.ts";
import type { Claims } from "../auth/tokens.ts";
import { topicOf } from "./keys.ts";
import type { RateBucket } from "./rate.ts";

/** Frames held back for a fan-out key while the session catches up from the store (see Fanout.beginCatchUp; JOIN and inbox delivery use it). */
export interface CatchUpBuffer {
  frames: Frame[];
  /** Set when more frames arrived than a buffer may hold; the catch-up then fails. */
  overflow: boolean;
}

/** Frames per WebSocket message when the server batches (peers accept up to 128). */
export const FRAMES_PER_MESSAGE = 64;

/**
 * Bytes Bun may buffer for one socket before it drops what is sent (its `backpressureLimit`): the
 * slow-consumer threshold plus as much again (at least 1 MiB), so that when the node closes a
 * session over the threshold its DISCONNECT and close frame are queued behind the rest, and reach
 * the client once it reads.
 */
export function sendBufferLimit(slowConsumerBytes: number): number {
  return slowConsumerBytes + Math.max(slowConsumerBytes, 1024 * 1024);
}

/** Most frames buffered per key while catching up. */
export const CATCH_UP_MAX_FRAMES = 10_000;

/** What a session has in progress (see {@link Session.work}). */
export class SessionWork {
  /** Store-backed requests still running (bounded by `maxPendingRequests`). */
  pendingRequests = 0;
  /** Store-backed requests waiting for one of those to finish, in arrival order (bounded). */
  requestQueue: Array<() => void> | undefined;
  /** The highest inbox offset ACKed and not yet written (ACKs are coalesced per tick). */
  ackPending: number | undefined;
  /** ACKs with a `rid` waiting for that write, to be answered `{offset}`. */
  ackWaiters: Array<{ resolve: (result: { offset: number }) => void; reject: (err: unknown) => void }> | undefined;
  /** The JOIN attempt in progress per room; a later JOIN or a LEAVE of the room replaces or ends it. */
  readonly joining = new Map<string, object>();
}

export class Session {
  ws!: ServerWebSocket<Session>;
  /** Rooms joined (or being joined). */
  readonly rooms = new Set<string>();
  /** Last time anything arrived from the client, ms. */
  lastSeen: number;
  /** Token expiry, ms since the Unix epoch; undefined if the token never expires. */
  tokenExpMs: number | undefined;
  /** True once TOKEN_EXPIRING was sent for the current token. */
  refreshAsked = false;
  /** The rate-limit bucket, shared by all of the user's sessions on this node (see node/rate.ts). */
  readonly bucket: RateBucket;
  /** Consecutive frames refused by the rate limiter. */
  strikes = 0;
  /** Requests, JOINs and ACKs in progress: created on first use, so an idle session carries none. */
  work: SessionWork | undefined;
  closed = false;
  /** Catch-up buffers by fan-out key, only while catching up. */
  catchUp: Map<string, CatchUpBuffer> | undefined;
  /** Encoded frames waiting for the node's next outbox flush (see Node.enqueue). */
  outbox: Array<Uint8Array | string> | undefined;

  constructor(
    readonly id: string,
    public claims: Claims,
    readonly codec: WireCodec,
    now: number,
    bucket: RateBucket,
  ) {
    this.lastSeen = now;
    this.bucket = bucket;
    this.tokenExpMs = claims.exp === undefined ? undefined : claims.exp * 1000;
  }

  get user(): string {
    return this.claims.sub;
  }

  /** The Bun topic for a fan-out key in this session's codec. */
  topic(key: string): string {
    return topicOf(key, this.codec.binary);
  }

  /**
   * Sends one frame. Returns false when the socket is closed or Bun dropped the message because
   * the send buffer is over its limit (the caller then disconnects the slow consumer).
   */
  send(frame: Frame): boolean {
    if (this.closed) return false;
    return this.ws.send(this.codec.encode(frame)) !== 0;
  }

  /** Sends frames batched into WebSocket messages of at most `perMessage` frames. */
  sendBatch(frames: readonly Frame[], perMessage = FRAMES_PER_MESSAGE): boolean {
    for (let i = 0; i < frames.length; i += perMessage) {
      if (this.closed) return false;
      const chunk = frames.slice(i, i + perMessage);
      const data = chunk.length === 1 ? this.codec.encode(chunk[0]!) : this.codec.encodeBatch(chunk);
      if (this.ws.send(data) === 0) return false;
    }
    return true;
  }

  /**
   * Takes one token from the user's bucket (refill `rate`/s up to `burst`). Returns false when
   * less than one is left (which includes a debt from {@link charge}); counts refusals in a row.
   */
  takeToken(now: number, rate: number, burst: number): boolean {
    if (this.bucket.take(now, rate, burst)) {
      this.strikes = 0;
      return true;
    }
    this.strikes++;
    return false;
  }

  /**
   * Charges `cost` more tokens for work already done (a large read): the bucket may go into debt,
   * down to `-10 × burst`, and the user's next frames wait until it has refilled.
   */
  charge(cost: number, burst: number): void {
    this.bucket.charge(cost, burst);
  }
}
