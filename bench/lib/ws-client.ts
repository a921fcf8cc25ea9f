/**
 * @module bench/lib/ws-client
 * A WebSocket client that speaks the wire format itself over a raw TCP socket (`Bun.connect`):
 * one HTTP upgrade request out, frames parsed in place from each chunk read, outgoing frames masked
 * as RFC 6455 requires. It does what a load generator needs and nothing more: no fragmentation
 * (servers here never fragment), no extensions, no validation of `Sec-WebSocket-Accept`. Per
 * message it costs a header parse and a callback, several times less CPU than a generic client,
 * so the load generator is not what saturates first.
 *
 * Every socket shares one handler object; per-connection state lives on the {@link WsConn}.
 */
import type { Socket } from "bun";

/** WebSocket opcodes. */
export const Opcode = { Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const;

/** What a connection reports to its owner. */
export interface WsEvents {
  /** The server answered 101: frames may be sent. */
  upgraded(conn: WsConn): void;
  /** One complete text or binary message in `buf[start, end)` (valid during the call only). */
  message(conn: WsConn, buf: Uint8Array, start: number, end: number, opcode: number): void;
  /** The connection ended (refused, closed by either side, or failed to connect). Called once. */
  closed(conn: WsConn, reason: string): void;
  /** Writes held back by a full kernel buffer have all gone out (see {@link WsConn.writable}). */
  drained?(conn: WsConn): void;
}

const CRLFCRLF = [13, 10, 13, 10];

function headerEnd(buf: Uint8Array): number {
  outer: for (let i = 0; i + 3 < buf.length; i++) {
    for (let j = 0; j < 4; j++) if (buf[i + j] !== CRLFCRLF[j]) continue outer;
    return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

const latin1 = new TextDecoder("latin1");

/** One client connection. Subclass it to hang per-connection bench state on it. */
export class WsConn {
  socket: Socket<WsConn> | undefined;
  upgraded = false;
  ended = false;
  /** Close code received from the server (0 = none). */
  closeCode = 0;
  /** HTTP status line when the upgrade was refused. */
  refusedWith = "";
  /** Message of an exception thrown while handling this connection's data, if any. */
  lastError = "";
  private closeSent = false;
  /** Bytes of an incomplete frame (or of the HTTP response) carried over to the next read. */
  private carry: Uint8Array | undefined;
  /** Writes the kernel did not take yet, flushed on `drain`. */
  private backlog: Uint8Array[] | undefined;
  /** While handling a read, frames sent in reaction are collected here and written once at its end. */
  private corked: Uint8Array[] | undefined;
  /**
   * Time the current read arrived (shared clock), computed at most once per read by whoever
   * needs it first: every frame of one read arrived at the same moment. 0 = not taken yet.
   */
  readAt = 0;
  private endAfterFlush = false;
  private readonly mask = crypto.getRandomValues(new Uint8Array(4));

  constructor(
    readonly events: WsEvents,
    private readonly request: string,
  ) {}

  /**
   * Opens the TCP connection and sends the upgrade request. `localAddress` (a loopback address
   * such as 127.0.0.12) picks the source address: each gives its own ~28,000 ephemeral ports, and
   * the kernel finds a free port quickly only while a small share of them is in use.
   */
  connect(hostname: string, port: number, localAddress?: string): void {
    // Bun.connect accepts `localAddress` although its type does not declare it.
    const options = localAddress ? { hostname, port, socket: HANDLERS, data: this, localAddress } : { hostname, port, socket: HANDLERS, data: this };
    Bun.connect<WsConn>(options).catch(() => {
      // connectError already reported it
    });
  }

  /**
   * True while the kernel takes writes: open, and nothing held back waiting for `drain`. A sender
   * that must not buffer without bound (a flood) writes only while this holds and resumes on the
   * `drained` event.
   */
  get writable(): boolean {
    return !this.ended && this.socket !== undefined && this.backlog === undefined;
  }

  /** Sends one masked frame carrying `payload[start, end)`. */
  send(opcode: number, payload: Uint8Array, start = 0, end = payload.length): void {
    if (this.ended || !this.socket) return;
    const len = end - start;
    const head = len < 126 ? 6 : len < 65536 ? 8 : 14;
    const frame = new Uint8Array(head + len);
    frame[0] = 0x80 | opcode;
    if (len < 126) frame[1] = 0x80 | len;
    else if (len < 65536) {
      frame[1] = 0x80 | 126;
      frame[2] = len >> 8;
      frame[3] = len & 255;
    } else {
      frame[1] = 0x80 | 127;
      new DataView(frame.buffer).setBigUint64(2, BigInt(len));
    }
    const m = this.mask;
    frame[head - 4] = m[0]!;
    frame[head - 3] = m[1]!;
    frame[head - 2] = m[2]!;
    frame[head - 1] = m[3]!;
    for (let i = 0; i < len; i++) frame[head + i] = payload[start + i]! ^ m[i & 3]!;
    this.write(frame);
  }

  /** Sends a close frame (the server answers and closes the TCP connection). */
  close(code = 1000): void {
    if (this.ended || this.closeSent) return;
    this.closeSent = true;
    if (!this.upgraded) {
      this.socket?.end();
      return;
    }
    this.send(Opcode.Close, new Uint8Array([code >> 8, code & 255]));
  }

  /** Drops the TCP connection without a close handshake. */
  terminate(): void {
    this.socket?.terminate();
  }

  private write(bytes: Uint8Array): void {
    if (this.corked) {
      this.corked.push(bytes);
      return;
    }
    const socket = this.socket!;
    if (this.backlog) {
      this.backlog.push(bytes);
      return;
    }
    const n = socket.write(bytes);
    if (n < 0) return;
    if (n < bytes.length) this.backlog = [bytes.subarray(n)];
  }

  /** @internal */
  onOpen(socket: Socket<WsConn>): void {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.write(this.request);
  }

  /** @internal */
  onDrain(): void {
    const queue = this.backlog;
    if (!queue || !this.socket) return;
    this.backlog = undefined;
    for (let i = 0; i < queue.length; i++) {
      const bytes = queue[i]!;
      const n = this.socket.write(bytes);
      if (n < 0) return;
      if (n < bytes.length) {
        this.backlog = [bytes.subarray(n), ...queue.slice(i + 1)];
        return;
      }
    }
    this.events.drained?.(this);
  }

  /** @internal */
  onData(chunk: Uint8Array): void {
    this.readAt = 0;
    this.corked = [];
    try {
      this.parse(chunk);
    } finally {
      const out = this.corked;
      this.corked = undefined;
      if (out.length === 1) this.write(out[0]!);
      else if (out.length > 1) {
        let size = 0;
        for (const b of out) size += b.length;
        const all = new Uint8Array(size);
        let at = 0;
        for (const b of out) {
          all.set(b, at);
          at += b.length;
        }
        this.write(all);
      }
      if (this.endAfterFlush) this.socket?.end();
    }
  }

  private parse(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.carry) {
      buf = concat(this.carry, chunk);
      this.carry = undefined;
    }
    let pos = 0;
    if (!this.upgraded) {
      const end = headerEnd(buf);
      if (end < 0) {
        this.carry = buf.slice();
        return;
      }
      const head = latin1.decode(buf.subarray(0, Math.min(end, 64)));
      if (!head.startsWith("HTTP/1.1 101")) {
        this.refusedWith = head.split("\r\n")[0] ?? head;
        this.socket?.end();
        return;
      }
      this.upgraded = true;
      pos = end + 4;
      this.events.upgraded(this);
    }
    const n = buf.length;
    while (pos + 2 <= n && !this.ended) {
      const b0 = buf[pos]!;
      const b1 = buf[pos + 1]!;
      let len = b1 & 0x7f;
      let head = 2;
      if (len === 126) {
        if (pos + 4 > n) break;
        len = (buf[pos + 2]! << 8) | buf[pos + 3]!;
        head = 4;
      } else if (len === 127) {
        if (pos + 10 > n) break;
        len = Number(new DataView(buf.buffer, buf.byteOffset + pos + 2, 8).getBigUint64(0));
        head = 10;
      }
      if (b1 & 0x80) head += 4; // servers do not mask; tolerate it by skipping the key
      if (pos + head + len > n) break;
      const start = pos + head;
      const end = start + len;
      pos = end;
      const opcode = b0 & 0x0f;
      if (opcode === Opcode.Binary || opcode === Opcode.Text) {
        this.events.message(this, buf, start, end, opcode);
      } else if (opcode === Opcode.Ping) {
        this.send(Opcode.Pong, buf, start, end);
      } else if (opcode === Opcode.Close) {
        this.closeCode = len >= 2 ? (buf[start]! << 8) | buf[start + 1]! : 1005;
        if (!this.closeSent) {
          this.closeSent = true;
          this.send(Opcode.Close, buf, start, Math.min(end, start + 2));
        }
        this.endAfterFlush = true;
      } else if (opcode === 0) {
        throw new Error("fragmented WebSocket messages are not supported by the bench client");
      }
    }
    if (pos < n && !this.ended) this.carry = buf.slice(pos);
  }

  /** @internal */
  onEnd(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.carry = undefined;
    this.backlog = undefined;
    this.events.closed(this, this.refusedWith || (this.lastError ? `client error: ${this.lastError}` : reason));
  }
}

const HANDLERS = {
  binaryType: "uint8array" as const,
  open(socket: Socket<WsConn>) {
    socket.data.onOpen(socket);
  },
  data(socket: Socket<WsConn>, chunk: Uint8Array) {
    socket.data.onData(chunk);
  },
  drain(socket: Socket<WsConn>) {
    socket.data.onDrain();
  },
  close(socket: Socket<WsConn>, error?: Error) {
    socket.data.onEnd(error ? `socket error: ${error.message}` : "closed");
  },
  error(socket: Socket<WsConn>, error: Error) {
    // A handler threw (a bench bug or a frame it cannot read): report it and drop the connection.
    socket.data.lastError = error.message;
    socket.terminate();
  },
  connectError(socket: Socket<WsConn>, error: Error) {
    socket.data.onEnd(`connect failed: ${error.message}`);
  },
};

/** The HTTP upgrade request for `path` (which carries any query string). */
export function upgradeRequest(host: string, port: number, path: string, extraHeaders = ""): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`
  );
}
