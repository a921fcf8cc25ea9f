/**
 * @module node/stats
 * Counters a node keeps for metrics and the stats API. Plain numbers, updated on the hot path
 * without allocation; read by the metrics exporter.
 */
export class NodeStats {
  connects = 0;
  disconnects = 0;
  bytesIn = 0;
  /** Frames received, by frame type. */
  readonly framesIn = new Map<number, number>();
  /** Reply errors sent, by code. */
  readonly replyErrors = new Map<number, number>();
  /** Disconnects the server initiated, by close code. */
  readonly disconnectsByCode = new Map<number, number>();
  /** Messages accepted, by kind. */
  readonly messages = { room: 0, direct: 0, broadcast: 0 };

  frameIn(type: number): void {
    this.framesIn.set(type, (this.framesIn.get(type) ?? 0) + 1);
  }

  replyError(code: number): void {
    this.replyErrors.set(code, (this.replyErrors.get(code) ?? 0) + 1);
  }

  disconnect(code: number): void {
    this.disconnectsByCode.set(code, (this.disconnectsByCode.get(code) ?? 0) + 1);
  }
}
