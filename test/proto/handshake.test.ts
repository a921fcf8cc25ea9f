/** Subprotocol negotiation helpers. */
import { expect, test } from "bun:test";
import { clientSubprotocols, parseSubprotocols, SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK } from "../../proto/index.ts";

test("nothing offered: msgpack, nothing to select", () => {
  expect(parseSubprotocols(null)).toEqual({ offered: false, codec: SUBPROTOCOL_MSGPACK, token: undefined });
  expect(parseSubprotocols("")).toEqual({ offered: false, codec: SUBPROTOCOL_MSGPACK, token: undefined });
  expect(parseSubprotocols(" , ")).toEqual({ offered: false, codec: SUBPROTOCOL_MSGPACK, token: undefined });
});

test("the client's first supported codec wins; the token entry is extracted, never selected", () => {
  expect(parseSubprotocols("hubbub.v2.msgpack, hubbub.v1.json, hubbub.v1.msgpack")).toEqual({ offered: true, codec: SUBPROTOCOL_JSON, token: undefined });
  expect(parseSubprotocols("hubbub.v1.msgpack,hubbub.token.aaa.bbb.ccc")).toEqual({ offered: true, codec: SUBPROTOCOL_MSGPACK, token: "aaa.bbb.ccc" });
  expect(parseSubprotocols("hubbub.token.t1, hubbub.v1.json, hubbub.token.t2").token).toBe("t1");
});

test("offered but unsupported: no codec (the server refuses the upgrade)", () => {
  expect(parseSubprotocols("hubbub.v2.msgpack")).toEqual({ offered: true, codec: undefined, token: undefined });
  expect(parseSubprotocols("hubbub.token.abc")).toEqual({ offered: true, codec: undefined, token: "abc" });
  expect(parseSubprotocols("hubbub.token.").token).toBeUndefined();
});

test("clientSubprotocols builds what a browser offers", () => {
  expect(clientSubprotocols()).toEqual([SUBPROTOCOL_MSGPACK]);
  expect(clientSubprotocols(SUBPROTOCOL_JSON, "h.p.s")).toEqual([SUBPROTOCOL_JSON, "hubbub.token.h.p.s"]);
  expect(parseSubprotocols(clientSubprotocols(SUBPROTOCOL_JSON, "h.p.s").join(", "))).toEqual({ offered: true, codec: SUBPROTOCOL_JSON, token: "h.p.s" });
});
