/**
 * @module client/backoff
 * When to reconnect after a close, from the close code (PROTOCOL.md §5.2) and the number of
 * attempts that already failed: exponential backoff with jitter, immediate (jittered) after 4000
 * "server restarting", never after 4500–4999.
 */
import { DisconnectCode, shouldReconnect } from "../proto/index.ts";

/** Reconnect timing. All values in ms. */
export interface ReconnectOptions {
  /** First backoff delay (the delay grows from here). Default 500. */
  minDelayMs: number;
  /** Largest backoff delay. Default 30 000. */
  maxDelayMs: number;
  /** Growth factor per failed attempt. Default 2. */
  factor: number;
  /** After close 4000 (server restarting), reconnect after a random delay below this. Default 1000. */
  restartJitterMs: number;
}

export const DEFAULT_RECONNECT: Readonly<ReconnectOptions> = Object.freeze({
  minDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  restartJitterMs: 1000,
});

/**
 * The delay before the next connection attempt, or `undefined` when the client must not reconnect
 * (close codes 4500–4999). `failures` is how many attempts in a row have failed since the last
 * connection that reached HELLO (0 right after a working connection closed). The delay is drawn
 * uniformly from the upper half of the exponential step ("equal jitter"), so clients spread out
 * but never retry much faster than the schedule.
 */
export function reconnectDelay(code: number, failures: number, options: ReconnectOptions, random: () => number = Math.random): number | undefined {
  if (!shouldReconnect(code)) return undefined;
  if (code === DisconnectCode.ServerShutdown && failures === 0) return Math.floor(random() * options.restartJitterMs);
  const step = Math.min(options.maxDelayMs, options.minDelayMs * options.factor ** failures);
  return Math.floor(step / 2 + (random() * step) / 2);
}
