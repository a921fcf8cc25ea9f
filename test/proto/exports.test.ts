/** The public surface of hubbub/proto stays stable: every name the server and clients import is there. */
import { expect, test } from "bun:test";
import * as proto from "../../proto/index.ts";

test("runtime exports", () => {
  const names = [
    "FrameType", "UpdateAction", "MessageState", "PresenceAction", "FRAME_SPECS", "SPEC_BY_TYPE", "NAME_MAX", "ID_MAX", "TOKEN_MAX", "REASON_MAX",
    "STRS_MAX", "PAYLOAD_MAX_DEPTH", "createMsgpackCodec", "createJsonCodec", "toWire", "fromWire", "bytesToBase64", "base64ToBytes", "DEFAULT_LIMITS",
    "SUBPROTOCOL_MSGPACK", "SUBPROTOCOL_JSON", "ProtocolError", "ProtocolErrorCode", "ReplyCode", "DisconnectCode", "shouldReconnect",
    "MsgpackReader", "MsgpackWriter", "ExtData", "checkPayload", "parseSubprotocols", "clientSubprotocols", "SUBPROTOCOL_TOKEN_PREFIX", "SUBPROTOCOLS",
  ];
  expect(Object.keys(proto).sort()).toEqual(names.sort());
  expect(proto.SUBPROTOCOL_MSGPACK).toBe("hubbub.v1.msgpack");
  expect(proto.SUBPROTOCOL_JSON).toBe("hubbub.v1.json");
});
