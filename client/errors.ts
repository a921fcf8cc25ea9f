/**
 * @module client/errors
 * The one error type the SDK rejects promises with and emits on `error`.
 */

/**
 * Why a request or the client failed.
 * - `reply`: the server answered the request with an ERROR frame; `code` is its HTTP-like code
 *   (PROTOCOL.md §5.1: 403 forbidden, 410 gone, 429 rate limited, …). The socket stays open.
 * - `timeout`: no answer within the request's timeout after it was sent.
 * - `closed`: the client was closed (by `close()` or a terminal disconnect) before an answer came;
 *   `code` is the close code when there is one (4501 unauthorized, 4503 kicked, …).
 * - `disconnected`: the connection dropped while the request was in flight and it is not safe to
 *   resend it automatically (refresh).
 * - `too_large`: the frame is larger than the server's `limits.maxFrameBytes`; it was never sent.
 * - `queue_full`: more than `maxQueue` requests are waiting for a connection.
 * - `token`: the token provider failed or gave an expired token.
 * - `protocol`: the server sent bytes this client cannot decode.
 */
export type ErrorKind = "reply" | "timeout" | "closed" | "disconnected" | "too_large" | "queue_full" | "token" | "protocol";

/** An SDK failure. `kind` says what happened; `code` is the server's reply code or close code. */
export class HubbubError extends Error {
  override readonly name = "HubbubError";
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}
