/**
 * @module bench/lib/protocols
 * The client side of each target's protocol, as the load generator speaks it:
 * - `msgpack`: Hubbub v1 (`hubbub.v1.msgpack`), also spoken by the raw Bun baseline;
 * - `socketio`: Engine.IO 4 / Socket.IO 5 text packets over a plain WebSocket (what
 *   `socket.io-client` sends with `transports: ["websocket"]`), parsed by hand.
 *
 * Every payload the bench sends is `[sendTime, publisher, seq, pad]`: the shared-clock send time
 * (ms, fractional), the publisher's number, its sequence number, and a padding string that sets
 * the payload size. Receivers read the first three and skip the rest.
 */
import { sharedNow } from "./clock.ts";
import { Cursor, encodeStr, Writer } from "./msgpack-lite.ts";
import { Opcode, WsConn, type WsEvents } from "./ws-client.ts";

/** Frame types the bench uses (see proto/frames.ts). */
const T = { Ping: 0, Pong: 1, Hello: 2, Reply: 3, Error: 4, Disconnect: 5, Join: 10, Publish: 12, Direct: 13, Message: 40 } as const;

/** What the protocol layer reports to the load worker. */
export interface ClientSink {
  /** The session is established (HELLO, or Socket.IO's CONNECT ack). */
  ready(conn: BenchConn): void;
  /** A request was answered; `error` is set for an error reply. */
  reply(conn: BenchConn, rid: number, error: string | undefined): void;
  /** A message the bench sent arrived here. */
  delivery(conn: BenchConn, sentAt: number, publisher: number, seq: number): void;
  /** A ping was answered. */
  pong(conn: BenchConn): void;
}

/** A bench connection: the WebSocket plus what the worker tracks for it. */
export class BenchConn extends WsConn {
  ready = false;
  /** Last request id used. */
  rid = 0;
  /** Requests sent and not yet answered (publishers only). */
  inflight = 0;
  /** rid of the join being waited for, or -1. */
  joinRid = -1;
  /** rid of the ping being waited for (Socket.IO pings are acked events), or -1. */
  pingRid = -1;
  /** Code of a DISCONNECT frame the server sent, 0 if none. */
  disconnectCode = 0;

  /** When the data being handled arrived, on the shared clock (taken once per read). */
  now(): number {
    if (this.readAt === 0) this.readAt = sharedNow();
    return this.readAt;
  }

  constructor(
    events: WsEvents,
    request: string,
    readonly index: number,
    readonly user: string,
  ) {
    super(events, request);
  }
}

/** The client side of one protocol. */
export interface ClientProtocol {
  readonly name: "msgpack" | "socketio";
  /** Request path (with query) for a user and its token. */
  path(user: string, token: string): string;
  /** Extra request header lines, each ending in CRLF. */
  readonly headers: string;
  /** Called on the upgrade; the protocol may send its opening packet. */
  upgraded(conn: BenchConn): void;
  message(conn: BenchConn, buf: Uint8Array, start: number, end: number, opcode: number, sink: ClientSink): void;
  join(conn: BenchConn, rid: number, room: string): void;
  publish(conn: BenchConn, rid: number, room: string, sentAt: number, publisher: number, seq: number): void;
  direct(conn: BenchConn, rid: number, to: string, sentAt: number, publisher: number, seq: number): void;
  ping(conn: BenchConn, rid: number): void;
}

/** Hubbub v1 over msgpack (and the raw Bun baseline, which accepts the same frames). */
export class MsgpackProtocol implements ClientProtocol {
  readonly name = "msgpack";
  readonly headers = "Sec-WebSocket-Protocol: hubbub.v1.msgpack\r\n";
  private readonly cursor = new Cursor();
  private readonly writer = new Writer(512);
  private readonly strings = new Map<string, Uint8Array>();
  private readonly pad: Uint8Array;
  private static readonly PING = new Uint8Array([0x91, T.Ping]);

  constructor(padBytes: number) {
    this.pad = encodeStr("x".repeat(padBytes));
  }

  path(user: string, token: string): string {
    return `/ws?token=${token}&user=${encodeURIComponent(user)}`;
  }

  upgraded(): void {}

  private str(s: string): Uint8Array {
    let bytes = this.strings.get(s);
    if (!bytes) this.strings.set(s, (bytes = encodeStr(s)));
    return bytes;
  }

  message(conn: BenchConn, buf: Uint8Array, start: number, end: number, _opcode: number, sink: ClientSink): void {
    const c = this.cursor.reset(buf, start, end);
    while (c.pos < c.end) {
      const n = c.arrayHeader();
      const type = c.number();
      let used = 1;
      switch (type) {
        case T.Message: {
          for (let i = 0; i < 5; i++) c.skip(); // channel, id, offset, time, from
          used = 7;
          const k = c.arrayHeader();
          if (k >= 3) {
            const sentAt = c.number();
            const publisher = c.number();
            const seq = c.number();
            for (let i = 3; i < k; i++) c.skip();
            sink.delivery(conn, sentAt, publisher, seq);
          } else {
            for (let i = 0; i < k; i++) c.skip();
          }
          break;
        }
        case T.Reply: {
          const rid = c.number();
          used = 2;
          sink.reply(conn, rid, undefined);
          break;
        }
        case T.Error: {
          const rid = c.number();
          const code = c.number();
          const text = c.str();
          used = 4;
          sink.reply(conn, rid, `${code} ${text}`);
          break;
        }
        case T.Hello:
          sink.ready(conn);
          break;
        case T.Pong:
          sink.pong(conn);
          break;
        case T.Disconnect:
          conn.disconnectCode = c.number();
          used = 2;
          break;
      }
      for (let i = used; i < n; i++) c.skip();
    }
  }

  join(conn: BenchConn, rid: number, room: string): void {
    const w = this.writer.reset();
    w.arrayHeader(3).uint(T.Join).uint(rid).raw(this.str(room));
    conn.send(Opcode.Binary, w.buf, w.reserve, w.pos);
  }

  private payload(w: Writer, sentAt: number, publisher: number, seq: number): void {
    w.arrayHeader(4).float64(sentAt).uint(publisher).uint(seq).raw(this.pad);
  }

  publish(conn: BenchConn, rid: number, room: string, sentAt: number, publisher: number, seq: number): void {
    const w = this.writer.reset();
    w.arrayHeader(4).uint(T.Publish).uint(rid).raw(this.str(room));
    this.payload(w, sentAt, publisher, seq);
    conn.send(Opcode.Binary, w.buf, w.reserve, w.pos);
  }

  direct(conn: BenchConn, rid: number, to: string, sentAt: number, publisher: number, seq: number): void {
    const w = this.writer.reset();
    w.arrayHeader(4).uint(T.Direct).uint(rid).raw(this.str(to));
    this.payload(w, sentAt, publisher, seq);
    conn.send(Opcode.Binary, w.buf, w.reserve, w.pos);
  }

  ping(conn: BenchConn): void {
    conn.send(Opcode.Binary, MsgpackProtocol.PING);
  }
}

const ZERO = 0x30;
const OPEN_BRACKET = 0x5b;
const text = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/**
 * Socket.IO 4 (Engine.IO protocol 4) over a WebSocket: `0{…}` open → send `40` → `40{…}` connected;
 * answers the server's `2` pings with `3`; requests are events with an ack id (`42<id>[…]` →
 * `43<id>[…]`); deliveries are `42["msg",channel,id,time,from,payload]` and the payload is read
 * from the last `[` of the packet (the padding is letters only).
 */
export class SocketIoProtocol implements ClientProtocol {
  readonly name = "socketio";
  readonly headers = "";
  private readonly pad: string;

  constructor(padBytes: number) {
    this.pad = "x".repeat(padBytes);
  }

  path(user: string): string {
    return `/socket.io/?EIO=4&transport=websocket&user=${encodeURIComponent(user)}`;
  }

  upgraded(): void {}

  private sendText(conn: BenchConn, s: string): void {
    conn.send(Opcode.Text, text.encode(s));
  }

  message(conn: BenchConn, buf: Uint8Array, start: number, end: number, _opcode: number, sink: ClientSink): void {
    const engine = buf[start]! - ZERO;
    if (engine === 2) {
      this.sendText(conn, "3"); // pong
      return;
    }
    if (engine === 0) {
      this.sendText(conn, "40"); // connect to the main namespace
      return;
    }
    if (engine !== 4 || end - start < 2) return;
    const packet = buf[start + 1]! - ZERO;
    if (packet === 2) {
      let open = end - 1;
      while (open > start && buf[open] !== OPEN_BRACKET) open--;
      // [sentAt,publisher,seq,"pad"]
      let comma = open + 1;
      let commas = 0;
      while (comma < end && commas < 3) if (buf[comma++] === 0x2c) commas++;
      const fields = latin1.decode(buf.subarray(open + 1, comma - 1)).split(",");
      sink.delivery(conn, Number(fields[0]), Number(fields[1]), Number(fields[2]));
    } else if (packet === 3) {
      let rid = 0;
      for (let i = start + 2; i < end; i++) {
        const d = buf[i]! - ZERO;
        if (d < 0 || d > 9) break;
        rid = rid * 10 + d;
      }
      if (rid === conn.pingRid) {
        conn.pingRid = -1;
        sink.pong(conn);
      } else sink.reply(conn, rid, undefined);
    } else if (packet === 0) {
      sink.ready(conn);
    } else if (packet === 4) {
      conn.refusedWith = `connect_error ${latin1.decode(buf.subarray(start + 2, end))}`;
      conn.close();
    }
  }

  join(conn: BenchConn, rid: number, room: string): void {
    this.sendText(conn, `42${rid}["join",${JSON.stringify(room)}]`);
  }

  publish(conn: BenchConn, rid: number, room: string, sentAt: number, publisher: number, seq: number): void {
    this.sendText(conn, `42${rid}["pub",${JSON.stringify(room)},[${sentAt},${publisher},${seq},"${this.pad}"]]`);
  }

  direct(conn: BenchConn, rid: number, to: string, sentAt: number, publisher: number, seq: number): void {
    this.sendText(conn, `42${rid}["dm",${JSON.stringify(to)},[${sentAt},${publisher},${seq},"${this.pad}"]]`);
  }

  ping(conn: BenchConn, rid: number): void {
    conn.pingRid = rid;
    this.sendText(conn, `42${rid}["rtt"]`);
  }
}

export function createProtocol(name: "msgpack" | "socketio", padBytes: number): ClientProtocol {
  return name === "msgpack" ? new MsgpackProtocol(padBytes) : new SocketIoProtocol(padBytes);
}
