"""Zalo's rotating tokens live in the database: shared by workers, kept across restarts, never in clear.

Zalo refresh tokens are single-use. The fake OAuth endpoint below enforces that, so a worker that
refreshed with a spent token, or a restart that reused the configured original, fails the test.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from sqlalchemy import select

from bot.app.channel_tokens import ChannelToken, TokenStore
from bot.app.statecrypt import StateCipher
from bot.channels.zalo import ZaloClient


class FakeZalo:
    """OA send API that accepts only the current access token; OAuth that accepts each refresh token once."""

    def __init__(self):
        self.generation = 1
        self.access, self.refresh = "access-1", "refresh-1"
        self.refresh_calls = 0
        self.sent: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/v4/oa/access_token"):
            form = dict(httpx.QueryParams(request.content.decode()))
            self.refresh_calls += 1
            if form.get("refresh_token") != self.refresh:
                return httpx.Response(200, json={"error": -14014, "message": "Invalid refresh token"})
            self.generation += 1
            self.access, self.refresh = f"access-{self.generation}", f"refresh-{self.generation}"
            return httpx.Response(200, json={"access_token": self.access, "refresh_token": self.refresh, "expires_in": "90000"})
        if request.headers.get("access_token") != self.access:
            return httpx.Response(200, json={"error": -216, "message": "Access token is invalid"})
        self.sent.append(json.loads(request.content)["message"]["text"])
        return httpx.Response(200, json={"error": 0, "message": "Success"})


def client(fake: FakeZalo, store: TokenStore) -> ZaloClient:
    return ZaloClient("access-1", "refresh-1", "app", "app-secret", api_base="http://zalo", oauth_base="http://zalo",
                      transport=httpx.MockTransport(fake.handle), sync_transport=httpx.MockTransport(fake.handle),
                      tokens=store)


@pytest.fixture()
def store(sessions):
    return TokenStore(sessions, StateCipher("a deployment's state key"), "zalo")


def test_a_rotated_pair_survives_a_restart_and_is_shared_by_workers(store, sessions):
    fake = FakeZalo()
    first, second = client(fake, store), client(fake, store)
    fake.access = "access-expired"  # Zalo expires the access token; the next send refreshes
    fake.refresh = "refresh-1"
    asyncio.run(first.send_text("u1", "một"))
    assert fake.refresh_calls == 1 and fake.sent == ["một"]
    asyncio.run(second.send_text("u2", "hai"))  # stale in memory: adopts the stored pair, no second refresh
    assert fake.refresh_calls == 1 and fake.sent == ["một", "hai"]
    restarted = client(fake, store)  # configured with the spent original pair
    assert restarted.access_token == fake.access and restarted.refresh_token == fake.refresh
    asyncio.run(restarted.send_text("u3", "ba"))
    assert fake.sent[-1] == "ba" and fake.refresh_calls == 1


def test_workers_refreshing_at_once_call_oauth_once(store):
    fake = FakeZalo()
    workers = [client(fake, store) for _ in range(4)]
    fake.access = "access-expired"

    async def everyone():
        await asyncio.gather(*(w.send_text(f"u{i}", f"tin {i}") for i, w in enumerate(workers)))

    asyncio.run(everyone())
    assert fake.refresh_calls == 1 and len(fake.sent) == 4


def test_tokens_are_never_stored_in_clear(store, sessions):
    fake = FakeZalo()
    client(fake, store)
    with sessions() as db:
        row = db.scalar(select(ChannelToken))
        assert "access-1" not in row.access_token and "refresh-1" not in row.refresh_token
    assert store.current() == ("access-1", "refresh-1")
