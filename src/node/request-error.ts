/**
 * @module node/request-error
 * A reply error: answers one request with an ERROR frame (or an HTTP status in the server API)
 * and keeps the connection open. `code` is a protocol ReplyCode.
 */
export class RequestError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
