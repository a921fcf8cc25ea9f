#!/usr/bin/env python3
"""Interop scenario: a Python client, written from PROTOCOL.md alone, against a running Hubbub server.

    python3 test/interop/scenario.py --url ws://127.0.0.1:8080/ws --secret <HUBBUB_JWT_SECRET>

Runs as users alice and bob (HS256 tokens minted here with --secret, rooms ["team:*"]), prints one
line per check ("ok   ..." / "FAIL ...") and ends with "N passed, M failed"; exits 1 on any failure.
Every check asserts behaviour PROTOCOL.md promises; the section is given in each check's name.
The server may hold data from earlier runs: rooms and cmids are unique per run, and the users'
inboxes are drained (acknowledged) first.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import http.client
import os
import sys
import time
import traceback
import urllib.parse
from typing import Any, Awaitable, Callable, List

sys.dont_write_bytecode = True  # leave no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import msgpack  # noqa: E402
import websockets  # noqa: E402

from hubbub_client import (  # noqa: E402
    CODECS,
    SUBPROTOCOL_JSON,
    SUBPROTOCOL_MSGPACK,
    Client,
    FrameType as T,
    HubbubError,
    is_message,
    mint_token,
)


class CheckFailed(AssertionError):
    pass


def expect(cond: Any, msg: str = ""):
    if not cond:
        raise CheckFailed(msg)


def eq(actual: Any, expected: Any, what: str = ""):
    if actual != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {actual!r}")


async def expect_error(coro: Awaitable, code: int, what: str = "") -> HubbubError:
    try:
        result = await coro
    except HubbubError as e:
        if e.code != code:
            raise CheckFailed(f"{what}: expected ERROR {code}, got ERROR {e.code} {e.message!r}")
        return e
    raise CheckFailed(f"{what}: expected ERROR {code}, got REPLY {result!r}")


def is_uint(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 2**53 - 1


class Runner:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    async def check(self, name: str, fn: Callable[[], Awaitable[Any]], timeout: float = 20.0):
        try:
            detail = await asyncio.wait_for(fn(), timeout)
            self.passed += 1
            print(f"ok   {name}" + (f"  ({detail})" if detail else ""), flush=True)
            return True
        except CheckFailed as e:
            self.failed += 1
            print(f"FAIL {name}: {e}", flush=True)
        except Exception as e:  # noqa: BLE001
            self.failed += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
            if os.environ.get("INTEROP_TRACE"):
                traceback.print_exc()
        return False


# ---------------------------------------------------------------------------------------------


def http_upgrade(url: str, path_and_query: str, protocol: str = None, headers: dict = None):
    """A raw WebSocket upgrade request, to read the refusal status and JSON body (§1.1)."""
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=5)
    h = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
    }
    if protocol:
        h["Sec-WebSocket-Protocol"] = protocol
    h.update(headers or {})
    conn.request("GET", path_and_query, headers=h)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body


def parse_vectors(path: str):
    """The generated vectors in PROTOCOL.md §11: (label, json text, msgpack bytes)."""
    text = open(path, encoding="utf-8").read()
    section = text[text.index("<!-- vectors:begin") : text.index("<!-- vectors:end")]
    out, label, js = [], None, None
    for line in section.splitlines():
        if line.startswith("# "):
            label = line[2:]
        elif line.startswith("json:"):
            js = line[len("json:") :].strip()
        elif line.startswith("msgpack:"):
            out.append((label, js, bytes.fromhex(line[len("msgpack:") :].strip())))
    return out


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="ws://host:port/ws")
    ap.add_argument("--secret", required=True, help="the server's HS256 secret (HUBBUB_JWT_SECRET)")
    ap.add_argument(
        "--protocol",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "PROTOCOL.md"),
        help="PROTOCOL.md, for the golden vectors of §11",
    )
    args = ap.parse_args()
    URL, SECRET = args.url, args.secret
    run = format(int(time.time() * 1000) % 10**10, "x") + format(os.getpid() % 4096, "x")
    ROOM = f"team:interop-{run}"
    ROOMS = ["team:*"]

    def tok(user: str, **kw) -> str:
        kw.setdefault("rooms", ROOMS)
        return mint_token(SECRET, user, **kw)

    async def connect(user: str, **kw) -> Client:
        return await Client.connect(URL, tok(user), **kw)

    r = Runner()
    S: dict = {}  # state shared between checks
    all_clients: List[Client] = []

    async def conn(user: str, **kw) -> Client:
        c = await connect(user, **kw)
        all_clients.append(c)
        return c

    # -- 0. golden vectors (§11), no server needed ----------------------------------------------

    async def vectors():
        vecs = parse_vectors(args.protocol)
        expect(len(vecs) >= 40, f"only {len(vecs)} vectors found in {args.protocol}")
        for label, js, mp in vecs:
            jf = CODECS["json"].decode(js)
            mf = CODECS["msgpack"].decode(mp)
            eq(mf, jf, f"{label}: msgpack and json decode to the same frames")
            eq(CODECS["msgpack"].encode(jf).hex(" "), mp.hex(" "), f"{label}: msgpack encoding")
            eq(CODECS["json"].encode(jf), js, f"{label}: json encoding")
        return f"{len(vecs)} vectors, both directions, both codecs"

    await r.check("§11 golden vectors: this codec encodes/decodes every frame exactly", vectors)

    # -- 1. handshake (§1) ----------------------------------------------------------------------

    path = urllib.parse.urlparse(URL).path or "/ws"

    async def bad_token():
        status, body = http_upgrade(URL, path + "?token=not-a-jwt", SUBPROTOCOL_MSGPACK)
        eq(status, 401, "status")
        import json as _json

        eq(_json.loads(body).get("error"), "unauthorized", "body.error")
        status, body = http_upgrade(URL, path + "?token=" + mint_token("another-secret-0123456789", "alice"))
        eq(status, 401, "bad signature status")
        status, body = http_upgrade(URL, path + "?token=" + tok("alice", exp=int(time.time()) - 10))
        eq(status, 401, "expired token status")
        eq(_json.loads(body).get("error"), "unauthorized", "expired body.error")

    await r.check("§1.1 bad/forged/expired token: HTTP 401 {error: unauthorized}, no socket", bad_token)

    async def refusals():
        import json as _json

        status, body = http_upgrade(URL, path + "?token=" + tok("alice"), "foo.v1")
        eq((status, _json.loads(body).get("error")), (400, "unsupported_protocol"), "no codec offered")
        u = urllib.parse.urlparse(URL)
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
        c.request("GET", path + "?token=" + tok("alice"))
        resp = c.getresponse()
        eq((resp.status, _json.loads(resp.read()).get("error")), (400, "upgrade_required"), "plain GET")
        c.close()

    await r.check("§1.1 refusals: HTTP 400 unsupported_protocol / upgrade_required", refusals)

    async def token_places():
        # Authorization header
        c = await Client.connect(URL, tok("alice"), token_in="header")
        eq(c.user, "alice", "HELLO user via Authorization: Bearer")
        await c.close()
        # query wins over header (§1.1 order)
        ws, _, first = await Client.open_raw(URL + "?token=" + tok("alice"), None, subprotocols=[SUBPROTOCOL_MSGPACK])
        await ws.close()
        eq(first[0][2], "alice", "query token")

    await r.check("§1.1 token in ?token= and Authorization: Bearer", token_places)

    async def token_in_protocol():
        for codec, name in (("msgpack", SUBPROTOCOL_MSGPACK), ("json", SUBPROTOCOL_JSON)):
            c = await Client.connect(URL, tok("alice"), codec=codec, token_in="protocol")
            eq(c.ws.subprotocol, name, "selected subprotocol (the token entry is never echoed)")
            eq(c.hello[0], T.HELLO, "first frame")
            eq(c.user, "alice", "HELLO user")
            await c.close()
        # the token entry alone is not a codec (§1.1 "MUST offer a codec subprotocol as well")
        status, _ = http_upgrade(URL, path, "hubbub.token." + tok("alice"))
        eq(status, 400, "token entry without a codec")

    await r.check("§1.1 token as a hubbub.token.<jwt> Sec-WebSocket-Protocol entry", token_in_protocol)

    async def subprotocol_selection():
        ws, codec, first = await Client.open_raw(URL, tok("alice"), subprotocols=[])
        sel = ws.subprotocol
        await ws.close()
        eq(sel, None, "no subprotocol offered: the response names none")
        expect(isinstance(first, list) and first[0][0] == T.HELLO, "HELLO decoded as msgpack")
        ws, codec, first = await Client.open_raw(URL, tok("alice"), subprotocols=[SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK])
        sel = ws.subprotocol
        await ws.close()
        eq(sel, SUBPROTOCOL_JSON, "first supported offer wins")
        ws, codec, first = await Client.open_raw(URL, tok("alice"), subprotocols=["x.v9", SUBPROTOCOL_MSGPACK])
        sel = ws.subprotocol
        await ws.close()
        eq(sel, SUBPROTOCOL_MSGPACK, "unknown offers are skipped")

    await r.check("§1.2 subprotocol selection (none offered = msgpack)", subprotocol_selection)

    # -- clean slate: drain the inboxes left by earlier runs (§6.1, §7.3) -------------------------

    async def drain(user: str):
        c = await Client.connect(URL, tok(user))
        await asyncio.sleep(0.5)
        offs = [f[3] for f in c.pushes(lambda f: f[0] == T.MESSAGE and f[1].startswith("@"))]
        if offs:
            await c.ack(max(offs))
            await c.ping()
        await c.close()
        return len(offs)

    async def clean():
        return f"alice {await drain('alice')}, bob {await drain('bob')} old inbox messages acknowledged"

    await r.check("setup: drain alice's and bob's inboxes", clean)

    # -- 2. HELLO (§6.1) --------------------------------------------------------------------------

    exp_s = int(time.time()) + 3600

    async def hello():
        alice = await Client.connect(URL, tok("alice", exp=exp_s))
        all_clients.append(alice)
        S["alice"] = alice
        h = alice.hello
        eq(h[0], T.HELLO, "type")
        expect(isinstance(h[1], str) and 1 <= len(h[1]) <= 64, f"session str(64): {h[1]!r}")
        eq(h[2], "alice", "user = token sub")
        expect(is_uint(h[3]) and abs(h[3] - time.time() * 1000) < 300_000, f"time ms: {h[3]!r}")
        expect(is_uint(h[4]) and h[4] > 0, f"heartbeatMs: {h[4]!r}")
        eq(h[5], exp_s * 1000, "tokenExp (ms)")
        expect(isinstance(h[6], dict), "limits is a map")
        for k in ("maxFrameBytes", "maxPayloadBytes", "maxRooms", "ratePerSecond", "rateBurst"):
            expect(is_uint(h[6].get(k)), f"limits.{k} uint: {h[6].get(k)!r}")
        noexp = await Client.connect(URL, tok("alice", ttl=None))
        eq(noexp.token_exp, None, "tokenExp nil for a token without exp")
        await noexp.close()
        return f"session {h[1]}, heartbeatMs {h[4]}, limits {h[6]}"

    if not await r.check("§6.1 HELLO: session, user, time, heartbeatMs, tokenExp, limits", hello):
        print("cannot continue without a session")
        print(f"{r.passed} passed, {r.failed} failed")
        return 1
    alice: Client = S["alice"]
    bob: Client = await conn("bob")
    S["bob"] = bob
    limits = alice.limits

    async def ping():
        pong = await alice.ping()
        eq(pong, [T.PONG], "PONG")

    await r.check("§8.16 PING -> PONG", ping)

    async def ping_from_server_side():
        # Either side may send PING; the client answers PONG (our client does so automatically).
        # Here: PONG from the server to a client PING inside a JSON session.
        c = await Client.connect(URL, tok("alice"), codec="json")
        await c.send_raw("[0]")
        f = await c.wait_push(lambda f: f[0] == T.PONG)
        await c.close()
        eq(f, [1], "JSON PONG")

    await r.check("§8.16 PING -> PONG over hubbub.v1.json", ping_from_server_side)

    # -- 3. rooms, presence (§8.1, §8.7, §8.8, §8.2) --------------------------------------------

    async def join():
        res = await alice.join(ROOM)
        expect(isinstance(res.get("epoch"), str), f"epoch str: {res!r}")
        eq(res.get("offset"), 0, "offset of a new room's head")
        eq(res.get("recovered"), False, "recovered without since")
        eq(res.get("messages"), [], "messages")
        eq((res.get("users"), res.get("sessions")), (1, 1), "users, sessions including this one")
        S["epoch"] = res["epoch"]
        res = await bob.join(ROOM)
        eq((res.get("users"), res.get("sessions")), (2, 2), "bob's join counts")
        eq(res.get("epoch"), S["epoch"], "same epoch")
        pe = await alice.wait_push(lambda f: f[0] == T.PRESENCE_EVENT)
        eq(pe, [T.PRESENCE_EVENT, ROOM, 1, "bob", 2, 2], "PRESENCE_EVENT join to alice")
        return f"epoch {S['epoch']}"

    await r.check("§8.1 JOIN result and PRESENCE_EVENT join", join)

    async def join_errors():
        await expect_error(alice.join(ROOM), 400, "already joined")
        await expect_error(alice.join("private:ops"), 403, "room outside the token's rooms")
        await expect_error(alice.join("bad room!"), 400, "invalid room name")
        await expect_error(alice.leave("team:never-joined-" + run), 400, "LEAVE a room not joined")

    await r.check("§8.1/§7.1 JOIN errors 400 (joined, invalid) / 403 (not allowed); §8.2 LEAVE 400", join_errors)

    # -- 4. publish (§8.3) ------------------------------------------------------------------------

    async def publish():
        payload = {"text": "hi bob", "n": 1, "list": [1, "two", None, True]}
        cmid = f"c-{run}-1"
        res = await alice.publish(ROOM, payload, cmid=cmid)
        expect(isinstance(res.get("id"), str) and is_uint(res.get("time")), f"result {res!r}")
        eq(res.get("offset"), 1, "first offset of a stream is 1")
        expect(not res.get("duplicate"), "not a duplicate")
        m = await bob.wait_push(is_message(ROOM))
        eq(m[:6], [T.MESSAGE, ROOM, res["id"], 1, res["time"], "alice"], "MESSAGE fields")
        eq(m[6], payload, "payload")
        eq(m[8] if len(m) > 8 else None, cmid, "MESSAGE carries the cmid (§7.4)")
        expect(len(m) < 8 or m[7] in (None, 0), f"state absent/0: {m!r}")
        m2 = await alice.wait_push(is_message(ROOM))
        eq(m2[2], res["id"], "the publisher's joined session gets it too")
        S["first"] = res
        S["first_cmid"] = cmid
        S["last_offset"] = 1

    await r.check("§8.3 PUBLISH: REPLY {id, offset, time}; MESSAGE push to room incl. sender", publish)

    async def publish_errors():
        big = b"x" * (limits.get("maxPayloadBytes", 65536) + 10)
        await expect_error(alice.publish(ROOM, big), 413, "payload over maxPayloadBytes")
        await expect_error(alice.publish("private:ops", {"x": 1}), 403, "room not allowed")
        # publishing needs the permission, not a membership (§8.3)
        other = f"team:interop-{run}-nomember"
        res = await alice.publish(other, {"x": 1})
        eq(res.get("offset"), 1, "publish to a permitted room without joining")

    await r.check("§8.3 PUBLISH errors 413 / 403; no membership needed", publish_errors)

    # -- 5. history paging (§8.6) ----------------------------------------------------------------

    async def history():
        for i in range(2, 7):
            res = await alice.publish(ROOM, {"n": i})
            eq(res["offset"], i, "dense offsets")
        S["last_offset"] = 6
        await bob.wait_pushes(is_message(ROOM), 5)
        alice.clear_pushes()
        h = await bob.history(ROOM)
        eq((h["epoch"], h["head"], h["oldest"]), (S["epoch"], 6, 1), "epoch, head, oldest")
        eq([m[3] for m in h["messages"]], [1, 2, 3, 4, 5, 6], "default limit: all, increasing offsets")
        eq(h["messages"][0][6], {"text": "hi bob", "n": 1, "list": [1, "two", None, True]}, "payload kept")
        h = await bob.history(ROOM, limit=2)
        eq([m[3] for m in h["messages"]], [5, 6], "newest 2")
        h = await bob.history(ROOM, before=5, limit=2)
        eq([m[3] for m in h["messages"]], [3, 4], "newest 2 before 5")
        h = await bob.history(ROOM, before=3, limit=2)
        eq([m[3] for m in h["messages"]], [1, 2], "newest 2 before 3")
        h = await bob.history(ROOM, after=2, limit=2)
        eq([m[3] for m in h["messages"]], [3, 4], "oldest 2 after 2")
        h = await bob.history(ROOM, before=5, after=1, limit=10)
        eq([m[3] for m in h["messages"]], [2, 3, 4], "after 1 and before 5")
        h = await bob.request(T.HISTORY, ROOM, None, None, 1)  # nil optional fields before a present one
        eq([m[3] for m in h["messages"]], [6], "limit with nil before/after")
        await expect_error(bob.history(ROOM, limit=0), 400, "limit 0")
        await expect_error(bob.history(ROOM, limit=1001), 400, "limit 1001")
        await expect_error(bob.history("private:ops"), 403, "history of a room not allowed")
        empty = await bob.history(f"team:interop-{run}-empty")
        eq((empty["head"], empty["oldest"], empty["messages"]), (0, 1, []), "empty stream: head 0, oldest head+1")

    await r.check("§8.6 HISTORY paging with before/after/limit; errors 400/403", history)

    # -- 6. presence (§8.7, §8.8, §8.9, §8.2) ---------------------------------------------------

    async def presence():
        p = await bob.request(T.PRESENCE, ROOM)
        eq(p, {"users": [["alice", 1], ["bob", 1]], "sessions": 2}, "PRESENCE")
        c = await bob.request(T.COUNTS, ROOM)
        eq(c, {"users": 2, "sessions": 2}, "COUNTS room")
        g = await bob.request(T.COUNTS)
        expect(is_uint(g.get("users")) and g["users"] >= 2 and g["sessions"] >= 2, f"COUNTS server: {g!r}")
        st = await bob.request(T.STATUS, ["alice", "bob", f"nobody-{run}"])
        eq(st, [["alice", True, None], ["bob", True, None], [f"nobody-{run}", False, None]], "STATUS")

    await r.check("§8.7 PRESENCE, §8.8 COUNTS, §8.9 STATUS", presence)

    async def presence_events():
        alice2 = await conn("alice")
        res = await alice2.join(ROOM)
        eq((res["users"], res["sessions"]), (2, 3), "second alice session: users 2, sessions 3")
        expect(await bob.no_push(lambda f: f[0] == T.PRESENCE_EVENT), "no join event for a user's 2nd session")
        p = await bob.request(T.PRESENCE, ROOM)
        eq(p, {"users": [["alice", 2], ["bob", 1]], "sessions": 3}, "PRESENCE with 2 alice sessions")
        eq(await alice2.leave(ROOM), {}, "LEAVE result {}")
        await alice2.close()
        expect(await bob.no_push(lambda f: f[0] == T.PRESENCE_EVENT), "no leave event while alice has a session")
        carol = await conn("carol")
        await carol.join(ROOM)
        pe = await bob.wait_push(lambda f: f[0] == T.PRESENCE_EVENT)
        eq(pe, [T.PRESENCE_EVENT, ROOM, 1, "carol", 3, 3], "join event")
        await carol.close()  # a disconnect is a leave (§8.2)
        pe = await bob.wait_push(lambda f: f[0] == T.PRESENCE_EVENT)
        eq(pe, [T.PRESENCE_EVENT, ROOM, 2, "carol", 2, 2], "leave event on disconnect")
        alice.clear_pushes()

    await r.check("§8.1/§8.2 PRESENCE_EVENT: one per user (join/leave), counts after the event", presence_events)

    # -- 7. direct messages (§7.3, §8.4) ----------------------------------------------------------

    async def direct():
        cmid = f"d-{run}-1"
        res = await alice.direct("bob", {"text": "psst"}, cmid=cmid)
        expect(isinstance(res.get("id"), str) and is_uint(res.get("offset")) and res["offset"] >= 1, f"{res!r}")
        mb = await bob.wait_push(is_message("@alice"))
        eq([mb[0], mb[1], mb[2], mb[5], mb[6]], [T.MESSAGE, "@alice", res["id"], "alice", {"text": "psst"}], "bob's MESSAGE")
        eq(mb[8] if len(mb) > 8 else None, cmid, "cmid")
        ma = await alice.wait_push(is_message("@bob"))
        eq([ma[1], ma[2], ma[3]], ["@bob", res["id"], res["offset"]], "sender's copy: channel @bob, sender inbox offset")
        h = await bob.history("@alice", limit=5)
        expect(any(m[2] == res["id"] and m[1] == "@alice" for m in h["messages"]), f"HISTORY @alice: {h!r}")
        await bob.ack(mb[3])
        await alice.ack(ma[3])
        S["dm"] = (res, cmid, mb)

    await r.check("§8.4 DIRECT: REPLY, MESSAGE @alice to bob and @bob to alice, HISTORY @peer", direct)

    # -- 8. offline inbox + cumulative ACK (§6.1, §7.3, §8.10) -------------------------------------

    async def inbox():
        nonlocal bob
        await bob.close()
        await asyncio.sleep(0.2)
        st = await alice.request(T.STATUS, ["bob"])
        expect(st[0][1] is False and is_uint(st[0][2]), f"bob offline with lastSeen: {st!r}")
        sent = []
        for i in range(3):
            sent.append(await alice.direct("bob", {"offline": i}, cmid=f"o-{run}-{i}"))
        await alice.wait_pushes(is_message("@bob"), 3)
        await alice.ack(sent[-1]["offset"])  # alice's own inbox holds her sent copies (§7.2)
        b = await Client.connect(URL, tok("bob"))
        await asyncio.sleep(0.5)
        got = b.pushes(is_message("@alice"))
        eq([m[2] for m in got], [s["id"] for s in sent], "the 3 unacknowledged DMs, in order")
        eq([m[6] for m in got], [{"offline": i} for i in range(3)], "payloads")
        offs = [m[3] for m in got]
        expect(offs == sorted(offs) and len(set(offs)) == 3, f"increasing offsets {offs}")
        # cumulative: ACK the 2nd -> only the 3rd comes back
        await b.ack(offs[1])
        await b.ping()
        await b.close()
        b = await Client.connect(URL, tok("bob"))
        await asyncio.sleep(0.5)
        eq([m[3] for m in b.pushes(is_message("@alice"))], [offs[2]], "after ACK of the 2nd, only the 3rd")
        await b.ack(offs[2])
        await b.ack(offs[0])  # never moves backwards
        await b.ping()
        await b.close()
        b = await Client.connect(URL, tok("bob"))
        await asyncio.sleep(0.5)
        eq(b.pushes(is_message()), [], "after ACK of the last (and a backwards ACK): nothing again")
        all_clients.append(b)
        bob = b
        S["bob"] = b
        return f"offsets {offs}"

    await r.check("§6.1/§7.3 offline inbox delivered after HELLO; cumulative ACK; nothing redelivered", inbox)

    # -- 9. recovery (§8.1 since, §6.5) -----------------------------------------------------------

    async def recovery():
        # bob reconnected as a new session: he is no longer in ROOM. He saw up to last_offset.
        last = S["last_offset"]
        missed = [await alice.publish(ROOM, {"missed": i}) for i in range(3)]
        eq([m["offset"] for m in missed], [last + 1, last + 2, last + 3], "dense offsets")
        res = await bob.join(ROOM, [last, S["epoch"]])
        eq(res.get("recovered"), True, f"recovered: {res!r}")
        eq(res.get("offset"), last + 3, "offset = head")
        eq([m[3] for m in res["messages"]], [last + 1, last + 2, last + 3], "missed messages, oldest first")
        eq([m[0] for m in res["messages"]], [T.MESSAGE] * 3, "MESSAGE frames as arrays")
        eq([m[2] for m in res["messages"]], [m["id"] for m in missed], "ids")
        eq(res["messages"][0][6], {"missed": 0}, "payload")
        # live messages follow with no gap and no duplicate
        live = await alice.publish(ROOM, {"live": True})
        m = await bob.wait_push(is_message(ROOM))
        eq(m[3], last + 4, "first live MESSAGE follows the JOIN offset")
        expect(await bob.no_push(is_message(ROOM), 0.2), "no duplicate")
        S["last_offset"] = live["offset"]
        await bob.leave(ROOM)
        res = await bob.join(ROOM, [1, S["epoch"] + "-stale"])
        eq((res["recovered"], res.get("reason"), res["messages"]), (False, "epoch_changed", []), "wrong epoch")
        await bob.leave(ROOM)
        res = await bob.join(ROOM, [S["last_offset"] + 100, S["epoch"]])
        eq((res["recovered"], res.get("reason")), (False, "epoch_changed"), "since.offset past the head")
        await bob.leave(ROOM)
        res = await bob.join(ROOM, [S["last_offset"], S["epoch"]])
        eq((res["recovered"], res["messages"]), (True, []), "nothing missed")
        alice.clear_pushes()

    await r.check("§8.1 recovery: JOIN since=[offset, epoch] returns the missed messages; reasons", recovery)

    # -- 10. idempotent resend (§7.4) -------------------------------------------------------------

    async def idempotent():
        bob.clear_pushes()
        first = S["first"]
        res = await alice.publish(ROOM, {"text": "hi bob (resent)"}, cmid=S["first_cmid"])
        eq((res["id"], res["offset"], res["time"], res.get("duplicate")), (first["id"], first["offset"], first["time"], True), "original result + duplicate")
        dres, dcmid, _ = S["dm"]
        res = await alice.direct("bob", {"text": "psst"}, cmid=dcmid)
        eq((res["id"], res["offset"], res.get("duplicate")), (dres["id"], dres["offset"], True), "DIRECT resend")
        expect(await bob.no_push(is_message(), 0.4), f"not delivered again: {bob.pushes(is_message())!r}")
        h = await bob.history(ROOM, limit=1)
        eq(h["head"], S["last_offset"], "not stored again")
        # a cmid is per sender: bob may use the same one
        res = await bob.publish(ROOM, {"bob": 1}, cmid=S["first_cmid"])
        expect(not res.get("duplicate") and res["offset"] == S["last_offset"] + 1, f"bob's own cmid space: {res!r}")
        S["last_offset"] = res["offset"]
        await alice.wait_push(is_message(ROOM))
        await bob.wait_push(is_message(ROOM))

    await r.check("§7.4 idempotent resend with the same cmid: original reply, duplicate: true, no redelivery", idempotent)

    # -- 11. recall and edit (§8.11) --------------------------------------------------------------

    async def recall_edit():
        res = await alice.publish(ROOM, {"text": "typo"})
        await bob.wait_push(is_message(ROOM))
        await alice.wait_push(is_message(ROOM))
        S["last_offset"] = res["offset"]
        eq(await alice.request(T.EDIT, res["id"], {"text": "fixed"}), {}, "EDIT result")
        u = await bob.wait_push(lambda f: f[0] == T.UPDATE)
        eq([u[0], u[1], u[2], u[3], u[4], u[6]], [T.UPDATE, ROOM, res["id"], 1, {"text": "fixed"}, "alice"], "UPDATE edit")
        expect(is_uint(u[5]), "UPDATE time")
        await alice.wait_push(lambda f: f[0] == T.UPDATE)
        h = await bob.history(ROOM, limit=1)
        m = h["messages"][0]
        eq((m[2], m[6], m[7] if len(m) > 7 else None), (res["id"], {"text": "fixed"}, 1), "HISTORY: new payload, state 1")
        await expect_error(bob.request(T.EDIT, res["id"], {"text": "bob was here"}), 403, "EDIT by another user")
        await expect_error(bob.request(T.RECALL, res["id"]), 403, "RECALL by another user")
        eq(await alice.request(T.RECALL, res["id"]), {}, "RECALL result")
        u = await bob.wait_push(lambda f: f[0] == T.UPDATE)
        eq([u[1], u[2], u[3], u[4], u[6]], [ROOM, res["id"], 2, None, "alice"], "UPDATE recall, payload nil")
        await alice.wait_push(lambda f: f[0] == T.UPDATE)
        h = await bob.history(ROOM, limit=1)
        m = h["messages"][0]
        eq((m[6], m[7] if len(m) > 7 else None), (None, 2), "HISTORY: recalled, payload nil, state 2")
        await expect_error(alice.request(T.RECALL, res["id"]), 410, "RECALL twice")
        await expect_error(alice.request(T.EDIT, res["id"], {"x": 1}), 410, "EDIT a recalled message")
        await expect_error(alice.request(T.RECALL, f"no-such-{run}"), 404, "RECALL unknown id")
        # a direct message: both parties get the UPDATE
        d = await alice.direct("bob", {"dm": "to recall"})
        mb = await bob.wait_push(is_message("@alice"))
        await alice.wait_push(is_message("@bob"))
        await alice.request(T.RECALL, d["id"])
        ub = await bob.wait_push(lambda f: f[0] == T.UPDATE)
        ua = await alice.wait_push(lambda f: f[0] == T.UPDATE)
        eq([ub[1], ub[2], ub[3]], ["@alice", d["id"], 2], "recipient's UPDATE")
        eq([ua[1], ua[2], ua[3]], ["@bob", d["id"], 2], "sender's UPDATE")
        await bob.ack(mb[3])
        await alice.ack(d["offset"])

    await r.check("§8.11 EDIT/RECALL: UPDATE pushes, HISTORY state, errors 403/404/410", recall_edit)

    # -- 12. read receipts and unread (§8.13, §8.14) ----------------------------------------------

    async def read_unread():
        head = S["last_offset"]
        alice.clear_pushes()
        res = await bob.request(T.READ, ROOM, head - 2)
        eq(res, {"offset": head - 2}, "READ result")
        ev = await alice.wait_push(lambda f: f[0] == T.READ_EVENT)
        eq(ev[:4], [T.READ_EVENT, ROOM, "bob", head - 2], "READ_EVENT to the room's other sessions")
        un = await bob.request(T.UNREAD)
        # §8.14: messages from other users above the read position (your own never count).
        after = (await bob.history(ROOM, after=head - 2))["messages"]
        eq(un.get(ROOM), sum(1 for m in after if m[5] != "bob"), f"UNREAD {un!r}")
        eq(await bob.request(T.READ, ROOM, 1), {"offset": head - 2}, "never backwards")
        eq(await bob.request(T.READ, ROOM, head + 50), {"offset": head}, "capped at the head")
        un = await bob.request(T.UNREAD)
        eq(un.get(ROOM), 0, "all read")
        # direct conversation
        d = await alice.direct("bob", {"read": "me"})
        mb = await bob.wait_push(is_message("@alice"))
        await alice.wait_push(is_message("@bob"))
        alice.clear_pushes()
        res = await bob.request(T.READ, "@alice", mb[3])
        eq(res, {"offset": mb[3]}, "READ @alice")
        ev = await alice.wait_push(lambda f: f[0] == T.READ_EVENT)
        eq(ev, [T.READ_EVENT, "@bob", "bob", mb[3], d["id"]], "READ_EVENT to the peer: channel @reader, id")
        d2 = await alice.direct("bob", {"read": "not yet"})
        mb2 = await bob.wait_push(is_message("@alice"))
        await alice.wait_push(is_message("@bob"))
        un = await bob.request(T.UNREAD)
        eq(un.get("@alice"), 1, f"UNREAD @alice counts messages from the peer after the read position: {un!r}")
        await bob.ack(mb2[3])
        await alice.ack(d2["offset"])

    await r.check("§8.13 READ + READ_EVENT, §8.14 UNREAD (room and @peer)", read_unread)

    # -- 13. typing (§8.12) -----------------------------------------------------------------------

    async def typing():
        bob.clear_pushes()
        alice.clear_pushes()
        await alice.typing(ROOM)
        ev = await bob.wait_push(lambda f: f[0] == T.TYPING_EVENT)
        eq(ev, [T.TYPING_EVENT, ROOM, "alice"], "room TYPING_EVENT")
        expect(await alice.no_push(lambda f: f[0] == T.TYPING_EVENT, 0.2), "not echoed to the typing session")
        await alice.typing("@bob")
        ev = await bob.wait_push(lambda f: f[0] == T.TYPING_EVENT)
        eq(ev, [T.TYPING_EVENT, "@alice", "alice"], "direct TYPING_EVENT")
        await alice.typing("bad channel!")  # best effort: dropped, no answer, socket stays open
        eq(await alice.ping(), [T.PONG], "still open")
        expect(not alice.unknown_answers, f"no answer to TYPING: {alice.unknown_answers!r}")

    await r.check("§8.12 TYPING -> TYPING_EVENT (room, @peer); no reply", typing)

    # -- 14. broadcast (§8.5) ---------------------------------------------------------------------

    async def broadcast():
        await expect_error(alice.request(T.BROADCAST, {"x": 1}), 403, "non-admin BROADCAST")
        admin = await Client.connect(URL, mint_token(SECRET, f"admin-{run}", role="admin"))
        res = await admin.request(T.BROADCAST, {"notice": "hi all"})
        eq(res.get("offset"), 0, "offset 0")
        for c in (alice, bob):
            m = await c.wait_push(is_message("*"))
            eq([m[1], m[2], m[3], m[5], m[6]], ["*", res["id"], 0, f"admin-{run}", {"notice": "hi all"}], "MESSAGE *")
        await admin.close()

    await r.check("§8.5 BROADCAST (admin): MESSAGE channel * offset 0 to everyone; 403 otherwise", broadcast)

    # -- 15. errors (§5) --------------------------------------------------------------------------

    async def bad_frames():
        c = await conn("alice")
        rid = c.next_rid()
        f = c.expect(rid)
        await c.send_frames([[T.PRESENCE, rid]])  # missing room: wrong shape
        e = await expect_error(f, 400, "missing field")
        eq(e.rid, rid, "ERROR carries the rid")
        rid = c.next_rid()
        f = c.expect(rid)
        await c.send_frames([[T.JOIN, rid, 12345]])  # mistyped field
        await expect_error(f, 400, "mistyped field")
        rid = c.next_rid()
        f = c.expect(rid)
        await c.send_frames([[31, rid, "from the future"]])
        e = await expect_error(f, 501, "unknown frame type")
        eq(e.rid, rid, "501 carries the rid")
        rid = c.next_rid()
        f = c.expect(rid)
        await c.send_frames([[T.REPLY, rid, {}]])  # a server-only type from a client
        await expect_error(f, 400, "server-only frame type")
        c.unknown_answers.clear()
        await c.send_raw(msgpack.packb(7))  # not an array
        await asyncio.sleep(0.3)
        eq([a[:3] for a in c.unknown_answers], [[T.ERROR, 0, 400]], "a non-array frame: ERROR rid 0, 400")
        c.unknown_answers.clear()
        await c.send_raw(msgpack.packb([T.PUBLISH, 77, ROOM, {"__proto__": 1}]))
        await asyncio.sleep(0.3)
        eq([a[:3] for a in c.unknown_answers], [[T.ERROR, 77, 400]], "forbidden key: ERROR 400 with rid")
        eq(await c.request(T.COUNTS, ROOM, "extra", 1, 2), {"users": 2, "sessions": 2}, "extra trailing elements ignored")
        eq(await c.ping(), [T.PONG], "socket stays open")
        eq(c.close_code, None, "not closed")

    await r.check("§5.3 bad frames: ERROR 400 / 501 with rid (0 when unreadable), socket stays open", bad_frames)

    async def garbage(codec: str, data, what: str):
        c = await Client.connect(URL, tok("alice"), codec=codec)
        await c.send_raw(data)
        code = await c.wait_closed(5)
        d = c.disconnect
        eq(code, 4500, f"{what}: close code")
        expect(d is not None and d[1] == 4500 and isinstance(d[2], str), f"{what}: DISCONNECT [5, 4500, reason] first: {d!r}")

    async def garbage_msgpack():
        await garbage("msgpack", b"\xc1\xc1\xc1", "0xc1 bytes")
        await garbage("msgpack", b"\x93\x0a\x01", "truncated")
        await garbage("msgpack", b"\x92\x16\xa2\xff\xfe", "invalid UTF-8")
        await garbage("msgpack", msgpack.packb([0]) + b"\xc1", "ping then garbage")

    await r.check("§5.3 garbage bytes (msgpack): DISCONNECT then close 4500", garbage_msgpack)

    async def garbage_json():
        await garbage("json", "this is not json", "not JSON")
        await garbage("json", '[22,"\\ud800"]', "unpaired surrogate")

    await r.check("§5.3/§2.3 garbage text (json): DISCONNECT then close 4500", garbage_json)

    async def too_big():
        c = await Client.connect(URL, tok("alice"))
        await c.send_raw(msgpack.packb([T.PUBLISH, 1, ROOM, b"x" * (limits["maxFrameBytes"] + 1)]))
        code = await c.wait_closed(5)
        expect(code in (4502, 1009), f"close code {code}")
        return f"close {code}"

    await r.check("§9 a message over limits.maxFrameBytes closes with 4502 or 1009", too_big)

    async def rate_limit():
        c = await Client.connect(URL, tok(f"ratey-{run}"))
        burst = c.limits["rateBurst"]
        n = burst + 40
        futs = {}
        frames = []
        for _ in range(n):
            rid = c.next_rid()
            futs[rid] = c.expect(rid)
            frames.append([T.COUNTS, rid])
        for i in range(0, n, 100):
            await c.send_frames(frames[i : i + 100])
        results = await asyncio.gather(*futs.values(), return_exceptions=True)
        limited = [x for x in results if isinstance(x, HubbubError) and x.code == 429]
        other = [x for x in results if isinstance(x, Exception) and not (isinstance(x, HubbubError) and x.code == 429)]
        expect(not other, f"other errors: {other[:3]}")
        expect(len(limited) >= 1, "some requests got ERROR 429")
        expect(len(limited) < 100, "fewer than rateMaxStrikes refusals")
        # Every frame takes a token, PING included (§6.3): after refusals the bucket is empty, and a
        # PING is answered again once it has refilled (ratePerSecond tokens per second).
        await asyncio.sleep(20 / c.limits["ratePerSecond"] + 0.05)
        pongs = 0
        await c.send_frames([[T.PING]] * 10)
        for _ in range(10):
            await c.wait_push(lambda f: f[0] == T.PONG)
            pongs += 1
        await c.close()
        return f"{len(limited)} of {n} got 429, {pongs}/10 PINGs answered after the refill"

    await r.check("§6.3 rate limit: ERROR 429 past rateBurst; PING takes a token too", rate_limit)

    # -- 16. batches (§4, §2.2, §2.3) -------------------------------------------------------------

    async def batches():
        c = await conn("alice")
        c.unknown_answers.clear()
        r1, r2, r3 = c.next_rid(), c.next_rid(), c.next_rid()
        f1, f3 = c.expect(r1), c.expect(r3)
        f2 = c.expect(r2)
        await c.send_frames([[T.PING], [T.COUNTS, r1, ROOM], [99, r2], [T.PRESENCE, r3, ROOM], [T.ACK, 0]])
        eq(await f1, {"users": 2, "sessions": 2}, "COUNTS in a batch")
        await expect_error(f2, 501, "unknown type in a batch")
        eq((await f3)["sessions"], 2, "PRESENCE in a batch after a bad frame")
        await c.wait_push(lambda f: f[0] == T.PONG)
        # JSON batch: an array of frame arrays
        j = await Client.connect(URL, tok("bob"), codec="json")
        a, b = j.next_rid(), j.next_rid()
        fa, fb = j.expect(a), j.expect(b)
        await j.send_raw(f'[[0],[17,{a},"{ROOM}"],[16,{b},"{ROOM}"]]')
        eq((await fa)["sessions"], 2, "JSON batch COUNTS")
        eq((await fb)["sessions"], 2, "JSON batch PRESENCE")
        await j.wait_push(lambda f: f[0] == T.PONG)
        await j.close()
        # more than 128 frames in one message: ERROR 400, socket stays open
        c.unknown_answers.clear()
        await c.send_raw(b"".join(msgpack.packb([T.COUNTS, 10_000 + i]) for i in range(129)))
        await asyncio.sleep(0.5)
        errs = [x for x in c.unknown_answers if x[0] == T.ERROR]
        expect(errs and errs[0][2] == 400, f"129 frames: ERROR 400: {c.unknown_answers[:3]!r}")
        eq(await c.ping(), [T.PONG], "still open")

    await r.check("§4 batches: several frames in one message (msgpack and JSON), 128-frame limit", batches)

    async def server_batches():
        # The offline inbox after HELLO is usually batched (§4, §6.1): accept it either way, but
        # every frame of every message must decode (already checked) -- here: several in one.
        for i in range(3):
            sent = await alice.direct(f"batchy-{run}", {"i": i})
        await alice.ack(sent["offset"])
        c = await Client.connect(URL, tok(f"batchy-{run}"))
        await asyncio.sleep(0.5)
        msgs = c.pushes(is_message(f"@alice"))
        eq(len(msgs), 3, "3 inbox MESSAGEs")
        sizes = [len(m) for m in c.messages_received]
        await c.close()
        alice.clear_pushes()
        return f"frames per WebSocket message: {sizes}"

    await r.check("§6.1 inbox after HELLO decodes as a frame sequence", server_batches)

    # -- 17. JSON subprotocol (§2.3) ------------------------------------------------------------

    async def json_subprotocol():
        j = await Client.connect(URL, tok("bob"), codec="json")
        all_clients.append(j)
        raw_texts: List[Any] = []
        orig = j.codec

        class Spy:
            name, binary = orig.name, orig.binary

            def encode(self, frames):
                return orig.encode(frames)

            def decode(self, data):
                raw_texts.append(data)
                return orig.decode(data)

        j.codec = Spy()
        eq(j.ws.subprotocol, SUBPROTOCOL_JSON, "selected")
        expect(j.hello[0] == T.HELLO and j.hello[2] == "bob", "HELLO over JSON")
        res = await j.join(ROOM)
        expect(res["offset"] == S["last_offset"], f"JOIN over JSON: {res!r}")
        # bytes from a msgpack client arrive as {"$bin": base64}
        pub = await alice.publish(ROOM, {"blob": b"\x00\x01\xfe", "text": "Grüße 👋"})
        m = await j.wait_push(is_message(ROOM, pub["id"]))
        eq(m[6], {"blob": b"\x00\x01\xfe", "text": "Grüße 👋"}, "decoded payload")
        text = [t for t in raw_texts if pub["id"] in t]
        expect(text and all(isinstance(t, str) for t in text), "JSON arrives in text messages")
        expect('{"$bin":"AAH+"}' in text[0], f"bytes as {{\"$bin\": base64}}: {text[0]!r}")
        # bytes from the JSON client arrive as msgpack bin
        await alice.wait_push(is_message(ROOM, pub["id"]))
        rid = j.next_rid()
        f = j.expect(rid)
        await j.send_raw(f'[12,{rid},"{ROOM}",{{"$bin":"AAH+"}}]')
        res = await f
        m = await alice.wait_push(is_message(ROOM, res["id"]))
        eq(m[6], b"\x00\x01\xfe", "msgpack bin on the other side")
        await j.wait_push(is_message(ROOM, res["id"]))
        # a request/reply over JSON with optional nils
        h = await j.request(T.HISTORY, ROOM, None, None, 2)
        eq([x[3] for x in h["messages"]], [res["offset"] - 1, res["offset"]], "HISTORY over JSON")
        eq(h["messages"][-1][6], b"\x00\x01\xfe", "$bin in history")
        # a JSON DM with cmid
        d = await j.direct("alice", {"via": "json"}, cmid=f"j-{run}")
        ma = await alice.wait_push(is_message("@bob"))
        eq((ma[2], ma[6], ma[8] if len(ma) > 8 else None), (d["id"], {"via": "json"}, f"j-{run}"), "DM from JSON client")
        await alice.ack(ma[3])
        await j.ack(d["offset"])
        S["last_offset"] = res["offset"]
        await j.leave(ROOM)
        j.codec = orig

    await r.check("§2.3 JSON subprotocol: text frames, bytes as {\"$bin\": base64} both ways", json_subprotocol)

    # -- 18. token expiry and refresh (§6.4) -----------------------------------------------------

    async def token_expiry():
        c = await Client.connect(URL, tok(f"short-{run}", exp=int(time.time()) + 2))
        f = await c.wait_push(lambda f: f[0] == T.TOKEN_EXPIRING, 5)
        eq(f[1], c.token_exp, "TOKEN_EXPIRING exp (ms) = HELLO tokenExp")
        code = await c.wait_closed(6)
        eq(code, 4006, "close code")
        eq(c.disconnect[:2] if c.disconnect else None, [T.DISCONNECT, 4006], "DISCONNECT 4006")
        # At least 3 s to refresh: the REFRESH must reach the server before the old exp, however
        # busy the machine is.
        old_exp = int(time.time()) + 4
        c = await Client.connect(URL, tok(f"short-{run}", exp=old_exp))
        await c.wait_push(lambda f: f[0] == T.TOKEN_EXPIRING, 5)
        await expect_error(c.request(T.REFRESH, tok(f"someone-else-{run}")), 401, "REFRESH for another user")
        new_exp = int(time.time()) + 3600
        eq(await c.request(T.REFRESH, tok(f"short-{run}", exp=new_exp)), {"exp": new_exp * 1000}, "REFRESH result")
        # Past the old exp by more than the server's sweep interval (at most 1 s).
        await asyncio.sleep(max(0.0, old_exp + 1.5 - time.time()))
        eq(await c.ping(), [T.PONG], "still open after the old exp")
        await c.close()

    await r.check("§6.4 TOKEN_EXPIRING, close 4006 without refresh; REFRESH extends (401 otherwise)", token_expiry)

    # -- 19. canonical msgpack from the server (§2.2) --------------------------------------------

    async def canonical():
        n, diffs = 0, []
        for c in all_clients:
            if c.codec.name != SUBPROTOCOL_MSGPACK:
                continue
            for frames, raw in zip(c.messages_received, c.raw_received):
                expect(isinstance(raw, bytes), f"msgpack arrives in binary messages: {raw!r:.80}")
                n += len(frames)
                if CODECS["msgpack"].encode(frames) != raw:
                    diffs.append(raw.hex(" ")[:120])
        expect(n > 20, f"only {n} frames seen")
        expect(not diffs, f"{len(diffs)} messages not in shortest form, e.g. {diffs[:2]}")
        return f"{n} frames in binary messages, all re-encode to the same bytes"

    await r.check("§2.2 server msgpack: binary messages, integers in the shortest format", canonical)

    for c in all_clients:
        try:
            await c.close()
        except Exception:  # noqa: BLE001
            pass

    print(f"{r.passed} passed, {r.failed} failed", flush=True)
    return 0 if r.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
