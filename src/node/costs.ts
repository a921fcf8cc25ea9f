/**
 * @module node/costs
 * What a request may cost the node, and what it is charged for it. Every frame takes one token of
 * its session's rate-limit bucket (Node.admit); requests that read many messages or count over many
 * streams charge more when they finish (Node.charge), so a session's allowance is spent by the work
 * it causes, not by the frames it sends. Store reads are also cut into steps that give the event
 * loop back in between, so one session's large request never holds up the others for long.
 */
import { FrameType, type ClientFrame } from "../../proto/index.ts";

/**
 * Extra tokens per this many bytes of an incoming WebSocket message (charged once per message, on
 * arrival): a 64 KiB PUBLISH takes 5 tokens, so a user's bandwidth in is bounded too.
 */
export const INBOUND_BYTES_PER_TOKEN = 16 * 1024;

/** Extra tokens per this many messages a request read. */
export const MESSAGES_PER_TOKEN = 50;
/** Extra tokens per this many payload bytes a request read. */
export const BYTES_PER_TOKEN = 64 * 1024;

/** Payload bytes one HISTORY reply carries at most (always at least one message). */
export const HISTORY_MAX_BYTES = 1024 * 1024;
/** Payload bytes a recovering JOIN returns at most; more is `recovered: false, reason: "too_many"`. */
export const RECOVERY_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Store requests a session may have waiting (beyond the `maxPendingRequests` running) before more
 * are refused with 429: room for a client re-joining all its rooms at once (at most 100 by default).
 */
export const REQUEST_QUEUE_MAX = 256;

/** UNREAD counts per room stop here: a count of UNREAD_MAX means "this many or more". */
export const UNREAD_MAX = 1000;

/** Rooms UNREAD counts at most (joined ones first, then those with a read position). */
export const UNREAD_MAX_ROOMS = 500;

/** How many of the newest inbox messages UNREAD reads to find direct conversations. */
export const UNREAD_INBOX_SCAN = 1000;

/**
 * Tokens a valid frame takes when it arrives: 1, plus what the request will at least cost where
 * that is known from the frame (HISTORY by its limit, UNREAD by the rooms it will count and the
 * inbox it will scan, STATUS by its users). The rest is charged when it finishes.
 */
export function upfrontCost(frame: ClientFrame, joinedRooms: number): number {
  switch (frame.type) {
    case FrameType.History:
      return 1 + readCost(Math.min(Math.max(frame.limit ?? 50, 0), 1000), 0);
    case FrameType.Unread:
      return 1 + joinedRooms + readCost(UNREAD_INBOX_SCAN, 0);
    case FrameType.Status:
      return 1 + readCost(Math.min(frame.users.length, 1000), 0);
    default:
      return 1;
  }
}

/** Extra tokens for reading `messages` messages holding `bytes` payload bytes. */
export function readCost(messages: number, bytes: number): number {
  return Math.floor(messages / MESSAGES_PER_TOKEN) + Math.floor(bytes / BYTES_PER_TOKEN);
}

/** Resolves after the event loop has run other I/O (setImmediate): a step boundary in long requests. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
