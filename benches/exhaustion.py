"""Hostile WebSocket clients for benches/exhaustion.sh (issue 13); see that script's header.

    python exhaustion.py BASE_URL SCENARIO SECONDS

BASE_URL is http://127.0.0.1:PORT. Every scenario uses a handful of fresh accounts (registered
here), runs for SECONDS, never opens more sockets than the per-user cap allows, and prints one
summary line as JSON: what it did and how the server closed its sockets (close code -> count).
Needs the `websockets` package (13 or newer).
"""

import asyncio
import collections
import concurrent.futures
import json
import socket
import sys
import time
import urllib.error
import urllib.request
import uuid

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

PASSWORD = "Segura123!"
SOCKETS_PER_USER = 8  # MAX_SOCKETS_PER_USER's default
CLOSES = collections.Counter()


def post(base, path, body, token=None):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def register(base, prefix, count):
    """Registers `count` accounts; returns their access tokens (valid 5 minutes)."""
    tokens = []
    for _ in range(count):
        name = f"{prefix}{uuid.uuid4().hex[:8]}"
        body = {"username": name, "password": PASSWORD, "password2": PASSWORD}
        tokens.append(post(base, "/auth/register/", body)["tokens"]["access"])
    return tokens


def new_game(base, first, second):
    """Queues two accounts over REST; returns the game that matches them."""
    post(base, "/game/join/", {}, first)
    answer = post(base, "/game/join/", {}, second)
    assert answer.get("status") == "matched", answer
    return answer["game_id"]


def ws_url(base, path, token):
    return base.replace("http://", "ws://") + path + "?token=" + token


def small_socket(base):
    """A connected TCP socket with a tiny receive buffer: a reader that stalls fills it fast."""
    host, port = base.replace("http://", "").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    return sock


async def settle(tasks):
    """Runs the clients to their end; a client that failed is counted, not fatal."""
    for result in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(result, BaseException):
            CLOSES["client error: " + type(result).__name__] += 1


def closed(error):
    code = error.rcvd.code if error.rcvd is not None else "no close frame"
    CLOSES[str(code)] += 1


async def stalled(base, path, token, deadline, send=None, every=0.1):
    """A socket that never reads (the client library stops reading once 1 message is buffered),
    optionally sending `send` every `every` seconds; reopened whenever the server drops it
    (counted in CLOSES as "stalled socket dropped": a client that does not read cannot see a
    close frame)."""
    opened = False
    while time.monotonic() < deadline:
        if opened:
            CLOSES["stalled socket dropped"] += 1
        opened = True
        try:
            async with connect(ws_url(base, path, token), sock=small_socket(base), max_queue=1,
                               ping_interval=None, close_timeout=1, open_timeout=10) as ws:
                while time.monotonic() < deadline:
                    if send is not None:
                        await asyncio.wait_for(ws.send(send), timeout=15)
                    await asyncio.sleep(every)
                    if ws.state.name != "OPEN":
                        break
        except ConnectionClosed as error:
            closed(error)
        except (InvalidStatus, OSError, asyncio.TimeoutError):
            await asyncio.sleep(0.5)


async def slow_readers(base, seconds):
    """6 accounts in 3 games, every account with its 8 game sockets, none of which reads: each
    socket chats 2 KB messages and sends invalid frames, so the server always has something to
    write to all 16 sockets of its game."""
    tokens = register(base, "slow", 6)
    deadline = time.monotonic() + seconds
    chat = json.dumps({"type": "ChatMessage", "msg": "\U0001F3B2" * 500})
    tasks = []
    for first, second in zip(tokens[0::2], tokens[1::2]):
        path = f"/ws/game/{new_game(base, first, second)}/"
        for token in (first, second):
            for index in range(SOCKETS_PER_USER):
                frame = chat if index % 2 == 0 else "not json"
                tasks.append(stalled(base, path, token, deadline, frame, 0.05))
    await settle(tasks)
    return {"accounts": len(tokens), "sockets": len(tasks)}


async def room_churn(base, seconds):
    """3 rooms, each with a host who never reads (and sends an invalid command twice a
    second), and 2 accounts per room joining and leaving in a loop (and chatting), as fast as
    the server lets them."""
    tokens = register(base, "churn", 9)
    deadline = time.monotonic() + seconds
    joins = 0

    async def churner(path, token):
        nonlocal joins
        while time.monotonic() < deadline:
            try:
                async with connect(ws_url(base, path, token), open_timeout=10,
                                   close_timeout=1) as ws:
                    joins += 1
                    await ws.send(json.dumps({"command": "chat_message",
                                              "message": "\U0001F3B2" * 500}))
            except ConnectionClosed as error:
                closed(error)
            except (InvalidStatus, OSError, asyncio.TimeoutError):
                await asyncio.sleep(0.1)

    tasks = []
    for room in range(3):
        path = f"/ws/queue/private/CHURN{room}/"
        host, *others = tokens[room * 3:room * 3 + 3]
        tasks.append(stalled(base, path, host, deadline, "{}", 0.5))
        tasks.extend(churner(path, token) for token in others)
    await settle(tasks)
    return {"accounts": len(tokens), "rooms": 3, "joins": joins}


async def frame_floods(base, seconds):
    """4 accounts in 2 games, each with 8 sockets (game sockets, plus a room or the public
    queue), sending 60 KB frames as fast as they can and reconnecting whenever the server
    closes a socket."""
    tokens = register(base, "flood", 4)
    deadline = time.monotonic() + seconds
    sent = 0
    junk = json.dumps({"type": "x" * 60_000})

    async def flooder(path, token):
        nonlocal sent
        while time.monotonic() < deadline:
            try:
                async with connect(ws_url(base, path, token), open_timeout=10,
                                   close_timeout=1, max_size=None) as ws:
                    while time.monotonic() < deadline:
                        await ws.send(junk)
                        sent += 1
            except ConnectionClosed as error:
                closed(error)
            except (InvalidStatus, OSError, asyncio.TimeoutError):
                await asyncio.sleep(0.1)

    games = [new_game(base, tokens[0], tokens[1]), new_game(base, tokens[2], tokens[3])]
    tasks = []
    for number, token in enumerate(tokens):
        paths = [f"/ws/game/{games[number // 2]}/"] * (SOCKETS_PER_USER - 1)
        # One more socket each: a room for two accounts (a user is in one room at a time), the
        # public queue for one (alone there, it is never matched), a game socket for the last.
        paths.append({0: "/ws/queue/private/FLOOD0/", 1: "/ws/queue/private/FLOOD1/",
                      2: "/ws/queue/public/"}.get(number, paths[0]))
        tasks.extend(flooder(path, token) for path in paths)
    await settle(tasks)
    return {"accounts": len(tokens), "sockets": len(tasks), "frames_sent": sent}


def status_of(base, path, body, token=None):
    """POSTs and returns the HTTP status (errors included) and the elapsed seconds."""
    started = time.monotonic()
    try:
        post(base, path, body, token)
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


async def join_churn(base, seconds):
    """4 accounts in two pairs alternate `POST /game/join/` as fast as they can (once ~500
    abandoned public games a second): counts the games made and the answers."""
    tokens = register(base, "churn", 4)
    deadline = time.monotonic() + seconds
    answers = collections.Counter()
    games = set()

    def churn(first, second):
        while time.monotonic() < deadline:
            for token in (first, second):
                try:
                    answer = post(base, "/game/join/", {}, token)
                    answers[answer.get("status", "?")] += 1
                    if "game_id" in answer:
                        games.add(answer["game_id"])
                except urllib.error.HTTPError as error:
                    answers[str(error.code)] += 1

    loop = asyncio.get_running_loop()
    await asyncio.gather(
        loop.run_in_executor(None, churn, tokens[0], tokens[1]),
        loop.run_in_executor(None, churn, tokens[2], tokens[3]),
    )
    return {"accounts": 4, "games_created": len(games), "answers": dict(answers)}


async def login_burst(base, seconds):
    """A victim account and a guesser: wrong-password logins as fast as 16 threads can send
    them against the victim's name, while the victim logs in with the right password every
    second: the answers, and the victim's slowest login."""
    name = f"victim{uuid.uuid4().hex[:8]}"
    post(base, "/auth/register/", {"username": name, "password": PASSWORD, "password2": PASSWORD})
    deadline = time.monotonic() + seconds
    answers = collections.Counter()
    victim = collections.Counter()
    slowest = 0.0

    def guess():
        while time.monotonic() < deadline:
            status, _ = status_of(base, "/auth/login/", {"username": name, "password": "Wrong123!"})
            answers[str(status)] += 1

    def real_user():
        nonlocal slowest
        while time.monotonic() < deadline:
            status, took = status_of(base, "/auth/login/", {"username": name, "password": PASSWORD})
            victim[str(status)] += 1
            slowest = max(slowest, took)
            time.sleep(1)

    loop = asyncio.get_running_loop()
    with concurrent.futures.ThreadPoolExecutor(max_workers=17) as pool:
        await asyncio.gather(*[loop.run_in_executor(pool, guess) for _ in range(16)],
                             loop.run_in_executor(pool, real_user))
    return {"guesses": dict(answers), "victim_logins": dict(victim),
            "victim_slowest_s": round(slowest, 3)}


SCENARIOS = {
    "slow_readers": slow_readers,
    "room_churn": room_churn,
    "frame_floods": frame_floods,
    "join_churn": join_churn,
    "login_burst": login_burst,
}


def main():
    base, scenario, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    summary = asyncio.run(SCENARIOS[scenario](base, seconds))
    summary["closes"] = dict(CLOSES)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
