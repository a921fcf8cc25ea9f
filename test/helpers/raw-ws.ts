/**
 * A raw WebSocket client over a TCP socket (node:net), for what a browser-like client cannot do:
 * never answer pings (a dead peer), stop reading (a slow consumer), or send arbitrary bytes.
 */
import { connect, type Socket } from "node:net";

export interface RawClient {
  socket: Socket;
  /** Everything received after the HTTP response headers. */
  received(): Buffer;
  /** Sends one masked binary (or text) WebSocket frame. */
  sendFrame(payload: Uint8Array, opcode?: number): void;
  /** Resolves when the TCP connection closes. */
  ended: Promise<void>;
  /** Parses the close frame in what was received, if any. */
  closeCode(): number | undefined;
}

export async function rawConnect(port: number, path: string, headers: Record<string, string> = {}): Promise<RawClient> {
  const socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let buffer = Buffer.alloc(0);
  let headerDone = false;
  let body = Buffer.alloc(0);
  const upgraded = Promise.withResolvers<string>();
  const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", () => {});
  socket.on("data", (chunk: Buffer) => {
    if (headerDone) {
      body = Buffer.concat([body, chunk]);
      return;
    }
    buffer = Buffer.concat([buffer, chunk]);
    const end = buffer.indexOf("\r\n\r\n");
    if (end >= 0) {
      headerDone = true;
      body = buffer.subarray(end + 4);
      upgraded.resolve(buffer.subarray(0, end).toString());
    }
  });
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
  );
  const head = await upgraded.promise;
  if (!head.startsWith("HTTP/1.1 101")) throw new Error(`upgrade refused: ${head.split("\r\n")[0]}`);
  return {
    socket,
    received: () => body,
    ended,
    sendFrame(payload, opcode = 2) {
      const mask = crypto.getRandomValues(new Uint8Array(4));
      const len = payload.length;
      const header = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : len < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 255]) : (() => {
        const h = Buffer.alloc(10);
        h[0] = 0x80 | opcode;
        h[1] = 0x80 | 127;
        h.writeBigUInt64BE(BigInt(len), 2);
        return h;
      })();
      const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
      socket.write(Buffer.concat([header, Buffer.from(mask), masked]));
    },
    closeCode() {
      // Walk server frames (unmasked) looking for a close frame (opcode 8).
      let i = 0;
      while (i + 2 <= body.length) {
        const opcode = body[i]! & 0x0f;
        let len = body[i + 1]! & 0x7f;
        let at = i + 2;
        if (len === 126) {
          len = body.readUInt16BE(at);
          at += 2;
        } else if (len === 127) {
          len = Number(body.readBigUInt64BE(at));
          at += 8;
        }
        if (opcode === 8 && at + 2 <= body.length) return body.readUInt16BE(at);
        i = at + len;
      }
      return undefined;
    },
  };
}
