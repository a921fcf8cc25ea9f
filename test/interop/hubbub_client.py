"""A small Hubbub client written from PROTOCOL.md alone (wire protocol version 1).

Dependencies: Python 3.9+, msgpack (python3-msgpack) and websockets >= 10 (python3-websockets).

    client = await Client.connect("ws://127.0.0.1:8080/ws", token)            # msgpack
    client = await Client.connect(url, token, codec="json")                    # JSON subprotocol
    result = await client.request(FrameType.JOIN, "public:lobby")              # -> REPLY result
    frame  = await client.wait_push(lambda f: f[0] == FrameType.MESSAGE)       # a push, as a list

Frames are plain lists exactly as on the wire: ``[type, field1, field2, ...]`` (PROTOCOL.md §2.1).
``request()`` allocates the ``rid`` (the first field of every request, §4) and resolves with the REPLY
``result`` or raises ``HubbubError`` carrying the ERROR ``code``. Every other frame is a push and is
queued for ``wait_push()`` / ``pushes()``. PING from the server is answered with PONG (§6.2).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from typing import Any, Callable, Iterable, List, Optional

import msgpack
import websockets

try:
    _WEBSOCKETS_MAJOR = int(str(websockets.__version__).split(".")[0])
except ValueError:  # pragma: no cover
    _WEBSOCKETS_MAJOR = 10

SUBPROTOCOL_MSGPACK = "hubbub.v1.msgpack"
SUBPROTOCOL_JSON = "hubbub.v1.json"
TOKEN_PROTOCOL_PREFIX = "hubbub.token."


class FrameType:
    """Frame types, PROTOCOL.md §3."""

    PING = 0
    PONG = 1
    HELLO = 2
    REPLY = 3
    ERROR = 4
    DISCONNECT = 5
    TOKEN_EXPIRING = 6
    JOIN = 10
    LEAVE = 11
    PUBLISH = 12
    DIRECT = 13
    BROADCAST = 14
    HISTORY = 15
    PRESENCE = 16
    COUNTS = 17
    STATUS = 18
    ACK = 19
    RECALL = 20
    EDIT = 21
    TYPING = 22
    READ = 23
    UNREAD = 24
    REFRESH = 25
    MESSAGE = 40
    UPDATE = 41
    PRESENCE_EVENT = 42
    TYPING_EVENT = 43
    READ_EVENT = 44


# Field names in wire order (PROTOCOL.md §3), for as_dict().
FIELDS = {
    0: [],
    1: [],
    2: ["session", "user", "time", "heartbeatMs", "tokenExp", "limits"],
    3: ["rid", "result"],
    4: ["rid", "code", "message"],
    5: ["code", "reason"],
    6: ["exp"],
    10: ["rid", "room", "since"],
    11: ["rid", "room"],
    12: ["rid", "room", "payload", "cmid"],
    13: ["rid", "user", "payload", "cmid"],
    14: ["rid", "payload"],
    15: ["rid", "channel", "before", "after", "limit"],
    16: ["rid", "room"],
    17: ["rid", "room"],
    18: ["rid", "users"],
    19: ["offset"],
    20: ["rid", "id"],
    21: ["rid", "id", "payload"],
    22: ["channel"],
    23: ["rid", "channel", "offset"],
    24: ["rid"],
    25: ["rid", "token"],
    40: ["channel", "id", "offset", "time", "from", "payload", "state", "cmid"],
    41: ["channel", "id", "action", "payload", "time", "by"],
    42: ["room", "action", "user", "users", "sessions"],
    43: ["channel", "user"],
    44: ["channel", "user", "offset", "id"],
}

# Request types that carry a rid and get exactly one REPLY or ERROR (§4). ACK and TYPING do not.
REQUESTS_WITH_RID = {10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 23, 24, 25}

PUSH_TYPES = {0, 1, 5, 6, 40, 41, 42, 43, 44}


def as_dict(frame: List[Any]) -> dict:
    """Names the fields of a frame (absent optional fields become None). Extra trailing elements
    (fields added by a newer server, §10) are kept under ``_extra``."""
    names = FIELDS.get(frame[0])
    if names is None:
        return {"type": frame[0], "_fields": list(frame[1:])}
    out: dict = {"type": frame[0]}
    for i, name in enumerate(names):
        out[name] = frame[i + 1] if i + 1 < len(frame) else None
    if len(frame) > len(names) + 1:
        out["_extra"] = list(frame[len(names) + 1 :])
    return out


class HubbubError(Exception):
    """An ERROR frame answering a request (§5.1)."""

    def __init__(self, rid: int, code: int, message: str):
        super().__init__(f"ERROR {code}: {message} (rid {rid})")
        self.rid = rid
        self.code = code
        self.message = message


class Closed(Exception):
    """The connection closed while waiting."""

    def __init__(self, code: Optional[int], reason: str):
        super().__init__(f"connection closed: {code} {reason}")
        self.code = code
        self.reason = reason


# ---------------------------------------------------------------------------------------------
# Codecs (§2)


def _fix_float(value: Any) -> Any:
    # §2.2: "-0.0 is encoded as the integer 0".
    if isinstance(value, float) and value == 0.0:
        return 0
    if isinstance(value, list):
        return [_fix_float(v) for v in value]
    if isinstance(value, dict):
        return {k: _fix_float(v) for k, v in value.items()}
    return value


class MsgpackCodec:
    """hubbub.v1.msgpack: a binary message is one or more msgpack values concatenated (§2.2)."""

    name = SUBPROTOCOL_MSGPACK
    binary = True

    def encode(self, frames: Iterable[List[Any]]) -> bytes:
        return b"".join(
            msgpack.packb(_fix_float(f), use_bin_type=True) for f in frames
        )

    def encode_one(self, frame: List[Any]) -> bytes:
        return self.encode([frame])

    def decode(self, data: bytes) -> List[Any]:
        # strict_map_key=False: §2.2 decoders accept integer map keys (read as decimal strings).
        unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=max(len(data), 1))
        unpacker.feed(data)
        frames = []
        for value in unpacker:
            frames.append(_int_keys_to_str(value))
        # Unpacker stops silently at a truncated tail; a message never splits a frame (§2.2).
        if unpacker.tell() != len(data):
            raise ValueError("truncated msgpack message")
        return frames


def _int_keys_to_str(value: Any) -> Any:
    if isinstance(value, list):
        return [_int_keys_to_str(v) for v in value]
    if isinstance(value, dict):
        return {(str(k) if isinstance(k, int) else k): _int_keys_to_str(v) for k, v in value.items()}
    return value


def _to_json_value(value: Any) -> Any:
    """Python value -> JSON-subprotocol value: bytes become {"$bin": base64} (§2.3)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bin": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, msgpack.Timestamp):
        # §2.3: a msgpack timestamp becomes an ISO-8601 string in JSON.
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(value.seconds)) + "Z"
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None  # §2.3: non-finite numbers become null
    if isinstance(value, (list, tuple)):
        return [_to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_json_value(v) for k, v in value.items()}
    return _fix_float(value)


def _from_json_value(value: Any) -> Any:
    """JSON-subprotocol value -> Python value: a map with exactly one key "$bin" holding a string
    is always read as bytes (§2.3)."""
    if isinstance(value, list):
        return [_from_json_value(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1 and "$bin" in value and isinstance(value["$bin"], str):
            return base64.b64decode(value["$bin"], validate=True)
        return {k: _from_json_value(v) for k, v in value.items()}
    return value


class JsonCodec:
    """hubbub.v1.json: a text message is one frame (a JSON array starting with a number) or a
    batch (an array of frame arrays) (§2.3)."""

    name = SUBPROTOCOL_JSON
    binary = False

    def encode(self, frames: Iterable[List[Any]]) -> str:
        frames = list(frames)
        if len(frames) == 1:
            return self.encode_one(frames[0])
        return json.dumps([_to_json_value(f) for f in frames], separators=(",", ":"), ensure_ascii=False)

    def encode_one(self, frame: List[Any]) -> str:
        return json.dumps(_to_json_value(frame), separators=(",", ":"), ensure_ascii=False)

    def decode(self, data: str) -> List[Any]:
        value = json.loads(data)
        if not isinstance(value, list) or not value:
            raise ValueError("a JSON message must be a non-empty array")
        if isinstance(value[0], list):
            return [_from_json_value(f) for f in value]
        return [_from_json_value(value)]


CODECS = {"msgpack": MsgpackCodec(), "json": JsonCodec()}


# ---------------------------------------------------------------------------------------------
# Tokens (README "Tokens and rooms", PROTOCOL.md §1.1): HS256 JWTs.


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def mint_token(
    secret: str,
    sub: str,
    *,
    rooms: Optional[List[str]] = None,
    ttl: Optional[int] = 3600,
    role: Optional[str] = None,
    name: Optional[str] = None,
    jti: Optional[str] = None,
    exp: Optional[int] = None,
) -> str:
    """Mints an HS256 JWT. ``exp`` is in seconds since the epoch; ``ttl=None`` and ``exp=None``
    give a token that never expires (exp is optional, §1.1)."""
    header = {"alg": "HS256", "typ": "JWT"}
    now = int(time.time())
    claims: dict = {"sub": sub, "iat": now}
    if exp is not None:
        claims["exp"] = exp
    elif ttl is not None:
        claims["exp"] = now + ttl
    if rooms is not None:
        claims["rooms"] = rooms
    if role is not None:
        claims["role"] = role
    if name is not None:
        claims["name"] = name
    if jti is not None:
        claims["jti"] = jti
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(claims, separators=(",", ":")).encode())
    )
    sig = hmac.new(secret.encode(), signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + _b64url(sig)


# ---------------------------------------------------------------------------------------------
# The client


class Client:
    """One Hubbub session over one WebSocket."""

    def __init__(self, ws, codec, hello: List[Any]):
        self.ws = ws
        self.codec = codec
        self.hello = hello
        self.session: str = hello[1]
        self.user: str = hello[2]
        self.heartbeat_ms: int = hello[4]
        self.token_exp: Optional[int] = hello[5] if len(hello) > 5 else None
        self.limits: dict = hello[6] if len(hello) > 6 and isinstance(hello[6], dict) else {}
        self._next_rid = 1
        self._pending: dict = {}
        self._pushes: List[List[Any]] = []
        self._push_event = asyncio.Event()
        self.messages_received: List[List[List[Any]]] = []  # frames per WebSocket message
        self.raw_received: List[Any] = []  # the WebSocket messages themselves (bytes or str)
        self.unknown_answers: List[List[Any]] = []
        self.close_code: Optional[int] = None
        self.close_reason: str = ""
        self.disconnect: Optional[List[Any]] = None
        self.decode_errors: List[str] = []
        self._closed = asyncio.Event()
        self._reader: Optional[asyncio.Task] = None
        self.auto_pong = True

    # -- connecting -----------------------------------------------------------------------------

    @classmethod
    async def connect(
        cls,
        url: str,
        token: Optional[str],
        *,
        codec: str = "msgpack",
        token_in: str = "query",
        subprotocols: Optional[List[str]] = None,
        timeout: float = 5.0,
    ) -> "Client":
        """Opens a session and waits for HELLO (§6.1). ``token_in``: "query" (``?token=``),
        "header" (``Authorization: Bearer``) or "protocol" (a ``hubbub.token.<jwt>`` entry in
        Sec-WebSocket-Protocol). ``subprotocols`` overrides the offered codec list."""
        ws, codec_obj, first = await cls.open_raw(
            url, token, codec=codec, token_in=token_in, subprotocols=subprotocols, timeout=timeout
        )
        if not first or first[0][0] != FrameType.HELLO:
            await ws.close()
            raise RuntimeError(f"expected HELLO first, got {first!r}")
        client = cls(ws, codec_obj, first[0])
        client.messages_received.append(first)
        client.raw_received.append(getattr(ws, "_hubbub_first_raw", None))
        for frame in first[1:]:
            client._dispatch(frame)
        client._reader = asyncio.ensure_future(client._read_loop())
        return client

    @staticmethod
    async def open_raw(url, token, *, codec="msgpack", token_in="query", subprotocols=None, timeout=5.0):
        """Opens the WebSocket and reads the first message (HELLO, maybe batched with the inbox)."""
        offered = list(subprotocols) if subprotocols is not None else [CODECS[codec].name]
        headers = {}
        if token is not None:
            if token_in == "query":
                url = url + ("&" if "?" in url else "?") + "token=" + token
            elif token_in == "header":
                headers["Authorization"] = "Bearer " + token
            elif token_in == "protocol":
                offered.append(TOKEN_PROTOCOL_PREFIX + token)
            else:
                raise ValueError(token_in)
        # websockets >= 14 renamed extra_headers (legacy client) to additional_headers.
        header_kw = "additional_headers" if _WEBSOCKETS_MAJOR >= 14 else "extra_headers"
        ws = await asyncio.wait_for(
            websockets.connect(
                url,
                subprotocols=offered or None,
                max_size=None,
                compression=None,
                ping_interval=None,
                **{header_kw: headers or None},
            ),
            timeout,
        )
        selected = ws.subprotocol
        if selected == SUBPROTOCOL_JSON:
            codec_obj = CODECS["json"]
        else:
            # §1.2: no subprotocol named in the response = msgpack.
            codec_obj = CODECS["msgpack"]
        data = await asyncio.wait_for(ws.recv(), timeout)
        ws._hubbub_first_raw = data
        return ws, codec_obj, codec_obj.decode(data)

    # -- reading --------------------------------------------------------------------------------

    async def _read_loop(self):
        try:
            async for data in self.ws:
                try:
                    frames = self.codec.decode(data)
                except Exception as e:  # noqa: BLE001 - keep reading, record it
                    self.decode_errors.append(f"{e}: {data!r:.200}")
                    continue
                self.messages_received.append(frames)
                self.raw_received.append(data)
                for frame in frames:
                    self._dispatch(frame)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason or ""
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(Closed(self.close_code, self.close_reason))
            self._pending.clear()
            self._closed.set()
            self._push_event.set()

    def _dispatch(self, frame: List[Any]):
        if not isinstance(frame, list) or not frame:
            self.decode_errors.append(f"not a frame: {frame!r}")
            return
        ftype = frame[0]
        if ftype in (FrameType.REPLY, FrameType.ERROR):
            rid = frame[1]
            fut = self._pending.pop(rid, None)
            if fut is None or fut.done():
                self.unknown_answers.append(frame)  # §4: ignore answers with unknown rid
                return
            if ftype == FrameType.REPLY:
                fut.set_result(frame[2] if len(frame) > 2 else None)
            else:
                fut.set_exception(HubbubError(rid, frame[2], frame[3] if len(frame) > 3 else ""))
            return
        if ftype == FrameType.PING and self.auto_pong:
            asyncio.ensure_future(self._send_quiet([[FrameType.PONG]]))
        if ftype == FrameType.DISCONNECT:
            self.disconnect = frame
        # Everything else is a push (unknown types too: a client ignores them, §10; we keep them).
        self._pushes.append(frame)
        self._push_event.set()

    async def _send_quiet(self, frames):
        try:
            await self.send_frames(frames)
        except Exception:  # noqa: BLE001
            pass

    # -- sending --------------------------------------------------------------------------------

    def next_rid(self) -> int:
        rid = self._next_rid
        self._next_rid += 1
        return rid

    async def send_frames(self, frames: List[List[Any]]):
        """Sends frames in ONE WebSocket message (a batch when more than one, §4)."""
        await self.ws.send(self.codec.encode(frames))

    async def send_raw(self, data):
        await self.ws.send(data)

    def expect(self, rid: int) -> "asyncio.Future":
        fut = asyncio.get_event_loop().create_future()
        if self._closed.is_set():
            fut.set_exception(Closed(self.close_code, self.close_reason))
        else:
            self._pending[rid] = fut
        return fut

    async def request(self, ftype: int, *fields: Any, timeout: float = 5.0) -> Any:
        """Sends a request with a fresh rid and returns the REPLY result (raises HubbubError)."""
        rid = self.next_rid()
        fut = self.expect(rid)
        await self.send_frames([[ftype, rid, *fields]])
        return await asyncio.wait_for(fut, timeout)

    async def request_frame(self, frame: List[Any], timeout: float = 5.0) -> Any:
        """Sends a prebuilt request frame (``frame[1]`` is its rid) and returns its result."""
        fut = self.expect(frame[1])
        await self.send_frames([frame])
        return await asyncio.wait_for(fut, timeout)

    async def ping(self, timeout: float = 5.0) -> List[Any]:
        await self.send_frames([[FrameType.PING]])
        return await self.wait_push(lambda f: f[0] == FrameType.PONG, timeout)

    async def ack(self, offset: int):
        await self.send_frames([[FrameType.ACK, offset]])

    async def typing(self, channel: str):
        await self.send_frames([[FrameType.TYPING, channel]])

    # Convenience wrappers around §8.
    async def join(self, room: str, since: Optional[List[Any]] = None):
        return await self.request(FrameType.JOIN, room, *([since] if since is not None else []))

    async def leave(self, room: str):
        return await self.request(FrameType.LEAVE, room)

    async def publish(self, room: str, payload: Any, cmid: Optional[str] = None):
        return await self.request(FrameType.PUBLISH, room, payload, *([cmid] if cmid else []))

    async def direct(self, user: str, payload: Any, cmid: Optional[str] = None):
        return await self.request(FrameType.DIRECT, user, payload, *([cmid] if cmid else []))

    async def history(self, channel: str, before=None, after=None, limit=None):
        fields: List[Any] = [channel, before, after, limit]
        while fields and fields[-1] is None:  # §2.1: optional fields may be left out at the end
            fields.pop()
        return await self.request(FrameType.HISTORY, *fields)

    # -- pushes ---------------------------------------------------------------------------------

    def pushes(self, pred: Optional[Callable[[List[Any]], bool]] = None) -> List[List[Any]]:
        """The pushes received so far (not consumed)."""
        return [f for f in self._pushes if pred is None or pred(f)]

    def clear_pushes(self):
        self._pushes.clear()

    async def wait_push(self, pred: Callable[[List[Any]], bool], timeout: float = 5.0) -> List[Any]:
        """Waits for (and consumes) the first push matching ``pred``."""
        deadline = asyncio.get_event_loop().time() + timeout
        while True:
            for i, f in enumerate(self._pushes):
                if pred(f):
                    return self._pushes.pop(i)
            if self._closed.is_set():
                raise Closed(self.close_code, self.close_reason)
            remaining = deadline - asyncio.get_event_loop().time()
            if remaining <= 0:
                raise asyncio.TimeoutError(f"no matching push within {timeout}s")
            self._push_event.clear()
            try:
                await asyncio.wait_for(self._push_event.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def wait_pushes(self, pred, count: int, timeout: float = 5.0) -> List[List[Any]]:
        return [await self.wait_push(pred, timeout) for _ in range(count)]

    async def no_push(self, pred, wait: float = 0.3) -> bool:
        """True if no push matching ``pred`` arrives within ``wait`` seconds (consumes nothing)."""
        await asyncio.sleep(wait)
        return not any(pred(f) for f in self._pushes)

    async def wait_closed(self, timeout: float = 5.0):
        await asyncio.wait_for(self._closed.wait(), timeout)
        return self.close_code

    async def close(self):
        await self.ws.close()
        if self._reader:
            try:
                await asyncio.wait_for(self._closed.wait(), 5)
            except asyncio.TimeoutError:
                self._reader.cancel()


def is_message(channel: Optional[str] = None, id: Optional[str] = None):
    def pred(f):
        return (
            f[0] == FrameType.MESSAGE
            and (channel is None or f[1] == channel)
            and (id is None or f[2] == id)
        )

    return pred
