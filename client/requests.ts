/**
 * @module client/requests
 * Requests waiting for an answer: a queue of those not yet sent on the current connection, in the
 * order they were made (re-joins first), and the ones in flight by `rid`. Each becomes a promise
 * settled by REPLY or ERROR, a timeout, or what its policy says to do when the connection drops.
 */
import type { ClientFrame } from "../proto/index.ts";
import { HubbubError } from "./errors.ts";

/**
 * What happens to a request in flight when the connection drops:
 * `retry` — send it again on the next connection (safe: idempotent, like PUBLISH with its cmid);
 * `reject` — fail it with a `disconnected` error; `resolve` — settle it with `undefined` (LEAVE:
 * the session that was in the room is gone anyway).
 */
export type DropPolicy = "retry" | "reject" | "resolve";

/** One request to make. */
export interface RequestSpec<T> {
  /** Builds the frame with the rid of this attempt. */
  frame(rid: number): ClientFrame;
  onDrop: DropPolicy;
  /** Ms to wait for the answer once sent. */
  timeoutMs: number;
  /** Turns the REPLY result into the promised value (may throw to reject). */
  parse(result: unknown, attempts: number): T;
  /** Maps an ERROR to a value instead of a rejection (e.g. a retried RECALL answered 410). */
  recover?(error: HubbubError, attempts: number): { value: T } | undefined;
  /** Goes ahead of every queued request (re-joins after a reconnect). */
  urgent?: boolean;
}

interface Entry {
  seq: number;
  spec: RequestSpec<unknown>;
  resolve(value: unknown): void;
  reject(error: HubbubError): void;
  rid: number;
  attempts: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** How the queue reaches the connection. */
export interface RequestTransport {
  /** Sends a frame now; returns an error when it cannot be sent (too large), `false` when offline. */
  send(frame: ClientFrame): HubbubError | boolean;
  /** 0 when a frame may go now, else ms to wait (client-side rate pacing). */
  wait(): number;
  /** A request timed out; `urgent` ones mean the session is unusable. */
  timedOut(frame: ClientFrame): void;
}

/** Pending requests. Invariant: an entry is either in `#queue` (unsent) or in `#inFlight` (sent, by rid). */
export class RequestQueue {
  #queue: Entry[] = [];
  readonly #inFlight = new Map<number, Entry>();
  #seq = 0;
  #rid = 0;
  #online = false;
  #pumpTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly transport: RequestTransport,
    private readonly maxQueue: number,
  ) {}

  /** Requests waiting for a connection or an answer. */
  get size(): number {
    return this.#queue.length + this.#inFlight.size;
  }

  /** Queues a request; it is sent as soon as the connection and the rate allow. */
  add<T>(spec: RequestSpec<T>): Promise<T> {
    if (this.size >= this.maxQueue) return Promise.reject(new HubbubError("queue_full", `more than ${this.maxQueue} requests are waiting`));
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = { seq: ++this.#seq, spec: spec as RequestSpec<unknown>, resolve: resolve as (v: unknown) => void, reject, rid: 0, attempts: 0, timer: undefined };
      if (spec.urgent) this.#queue.unshift(entry);
      else this.#queue.push(entry);
      this.pump();
    });
  }

  /** The connection is ready (after HELLO): start sending. */
  online(): void {
    this.#online = true;
    this.pump();
  }

  /** The connection dropped: in-flight requests go back to the queue, fail or resolve by their policy. */
  offline(): void {
    this.#online = false;
    if (this.#pumpTimer) clearTimeout(this.#pumpTimer);
    this.#pumpTimer = undefined;
    const back: Entry[] = [];
    for (const entry of this.#inFlight.values()) {
      clearTimeout(entry.timer);
      const policy = entry.spec.onDrop;
      if (policy === "retry") back.push(entry);
      else if (policy === "resolve") entry.resolve(undefined);
      else entry.reject(new HubbubError("disconnected", "the connection dropped before the answer came"));
    }
    this.#inFlight.clear();
    // Urgent entries (re-joins) belong to the connection that made them: the next one makes its own.
    for (const entry of this.#queue) if (entry.spec.urgent) entry.reject(new HubbubError("disconnected", "the connection dropped before the request was sent"));
    this.#queue = [...back, ...this.#queue.filter((e) => !e.spec.urgent)].sort((a, b) => a.seq - b.seq);
    for (const entry of back) entry.rid = 0;
  }

  /** Settles the request `rid` with its REPLY. Returns false for an unknown rid (ignored). */
  reply(rid: number, result: unknown): boolean {
    const entry = this.#take(rid);
    if (!entry) return false;
    try {
      entry.resolve(entry.spec.parse(result, entry.attempts));
    } catch (err) {
      entry.reject(err instanceof HubbubError ? err : new HubbubError("protocol", `unexpected reply: ${String(err)}`));
    }
    return true;
  }

  /**
   * Settles the request `rid` with its ERROR. A 429 (rate limited) on a retryable request puts it
   * back in the queue and pauses sending for `retryAfterMs`. Returns false for an unknown rid.
   */
  error(rid: number, code: number, message: string, retryAfterMs: number): boolean {
    const entry = this.#take(rid);
    if (!entry) return false;
    if (code === 429 && entry.spec.onDrop === "retry" && entry.attempts < 10) {
      entry.rid = 0;
      this.#queue.push(entry);
      this.#queue.sort((a, b) => a.seq - b.seq);
      this.#schedule(retryAfterMs);
      return true;
    }
    const error = new HubbubError("reply", message, code);
    const recovered = entry.spec.recover?.(error, entry.attempts);
    if (recovered) entry.resolve(recovered.value);
    else entry.reject(error);
    return true;
  }

  /** Fails every request (the client closed for good). */
  failAll(error: HubbubError): void {
    for (const entry of [...this.#inFlight.values(), ...this.#queue]) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    this.#inFlight.clear();
    this.#queue = [];
    if (this.#pumpTimer) clearTimeout(this.#pumpTimer);
  }

  /** Sends queued requests while online and the pacer allows. */
  pump(): void {
    if (!this.#online || this.#pumpTimer) return;
    while (this.#queue.length > 0) {
      const wait = this.transport.wait();
      if (wait > 0) return this.#schedule(wait);
      const entry = this.#queue.shift()!;
      entry.rid = ++this.#rid;
      const frame = entry.spec.frame(entry.rid);
      const sent = this.transport.send(frame);
      if (sent instanceof HubbubError) {
        entry.reject(sent);
        continue;
      }
      if (!sent) {
        this.#queue.unshift(entry);
        return;
      }
      entry.attempts++;
      this.#inFlight.set(entry.rid, entry);
      entry.timer = setTimeout(() => {
        if (this.#inFlight.get(entry.rid) !== entry) return;
        this.#inFlight.delete(entry.rid);
        entry.reject(new HubbubError("timeout", `no answer within ${entry.spec.timeoutMs} ms`));
        this.transport.timedOut(frame);
      }, entry.spec.timeoutMs);
    }
  }

  #schedule(ms: number): void {
    if (this.#pumpTimer) return;
    this.#pumpTimer = setTimeout(() => {
      this.#pumpTimer = undefined;
      this.pump();
    }, ms);
  }

  #take(rid: number): Entry | undefined {
    const entry = this.#inFlight.get(rid);
    if (!entry) return undefined;
    this.#inFlight.delete(rid);
    clearTimeout(entry.timer);
    return entry;
  }
}
