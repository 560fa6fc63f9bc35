"""What makes one worker serve many chats: caches, ordered concurrency, cheap event claims."""

import asyncio

import numpy as np
import pytest
from rapidfuzz import fuzz, process
from telegram import Update

from bot.channels.telegram import ChatOrderedProcessor
from bot.app.conversations import EventLog
from indexer.embed import HashingEmbedder
from indexer.query_cache import LruCache, QueryCache
from indexer.search import Index


class CountingEmbedder(HashingEmbedder):
    def __init__(self, dim: int = 64):
        super().__init__(dim)
        self.calls: list[list[str]] = []

    def encode(self, texts, is_query):
        self.calls.append(list(texts))
        return super().encode(texts, is_query)


def test_query_cache_returns_the_same_vectors_and_counts_hits():
    inner = CountingEmbedder()
    cache = QueryCache(inner, capacity=2)
    first = cache.encode(["làm căn cước"], is_query=True)
    again = cache.encode(["làm căn cước"], is_query=True)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, HashingEmbedder(64).encode(["làm căn cước"], is_query=True))
    assert len(inner.calls) == 1
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.size) == (1, 1, 1)
    again[0, 0] = 99.0  # a caller changing its copy must not change the cache
    assert cache.encode(["làm căn cước"], is_query=True)[0, 0] != 99.0


def test_query_cache_evicts_the_least_recently_used_and_skips_batches():
    inner = CountingEmbedder()
    cache = QueryCache(inner, capacity=2)
    for text in ("a b", "c d", "a b", "e f"):  # "c d" is the least recently used when "e f" arrives
        cache.encode([text], is_query=True)
    cache.encode(["c d"], is_query=True)
    assert inner.calls[-1] == ["c d"]
    cache.encode(["x y", "z w"], is_query=True)  # a batch (index build) goes straight through
    cache.encode(["a b"], is_query=False)  # and so do passages
    assert cache.stats().size == 2
    with pytest.raises(ValueError):
        LruCache(0)


def test_result_cache_answers_repeats_without_retrieval_and_keeps_the_citizens_words(mini_index, hashing_embedder):
    embedder = CountingEmbedder(hashing_embedder.dim)
    cached = Index(mini_index.path, embedder, cache_size=10)
    plain = Index(mini_index.path, embedder)
    first = cached.search("mất căn cước làm lại")
    calls = len(embedder.calls)
    second = cached.search("mất căn cước làm lại")
    assert len(embedder.calls) == calls  # no embedding, no retrieval
    assert second.hits == first.hits == plain.search("mất căn cước làm lại").hits
    assert cached.results.stats().hits == 1
    # another spelling that normalises to the same text is the same entry, with its own words kept
    spaced = cached.search("  mất căn cước   làm lại ")
    if cached.results.stats().hits == 2:
        assert spaced.query.original == "  mất căn cước   làm lại "
    # a baseline (one method) or a given vector is never served from the cache
    cached.search("mất căn cước làm lại", method="lexical")
    assert cached.results.stats().size == 1
    with pytest.raises(ValueError):
        first.query_vector[0] = 1.0  # shared between requests: read-only


def test_fuzzy_scan_matches_rapidfuzz_extract(mini_index):
    query = mini_index.normalizer.query("lam lai can cuoc bi mat")
    expected: dict[int, float] = {}
    for _name, score, pos in process.extract(query.folded, mini_index._flat_name_texts, scorer=fuzz.token_set_ratio,
                                             limit=60, score_cutoff=50):
        item = mini_index._flat_name_items[pos]
        expected[item] = max(expected.get(item, 0.0), score)
    got = mini_index.fuzzy_scores(query)
    assert got.keys() == expected.keys()
    assert all(got[k] == pytest.approx(expected[k], abs=1e-3) for k in got)


def _update(update_id: int, chat_id: int) -> Update:
    return Update.de_json({"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "chat": {"id": chat_id, "type": "private"}, "text": "x"}}, None)


def test_updates_of_one_chat_stay_in_order_while_other_chats_go_on():
    async def scenario() -> list[str]:
        processor = ChatOrderedProcessor(16)
        done: list[str] = []

        async def work(name: str, seconds: float) -> None:
            await asyncio.sleep(seconds)
            done.append(name)

        await asyncio.gather(
            processor.process_update(_update(1, 7), work("chat 7, first (slow)", 0.2)),
            processor.process_update(_update(2, 7), work("chat 7, second", 0.0)),
            processor.process_update(_update(3, 8), work("chat 8", 0.0)),
        )
        assert not processor._locks  # idle chats are forgotten
        return done

    assert asyncio.run(scenario()) == ["chat 8", "chat 7, first (slow)", "chat 7, second"]


def test_an_event_is_claimed_once(sessions):
    events = EventLog(sessions)
    assert events.claim("telegram", "42") is True
    assert events.claim("telegram", "42") is False
    assert events.claim("zalo", "42") is True


def test_a_rating_reaches_the_answer_it_rates_whichever_worker_gets_the_button(sessions, mini_engine):
    from bot.app.service import ConversationService
    from bot.app.conversations import ConversationStore
    from bot.engine.types import Incoming
    from feedback.models import QuestionLog

    first, second = (ConversationService(mini_engine, ConversationStore(sessions)) for _ in range(2))  # two workers
    reply = first.respond(Incoming("telegram", "77", "mất căn cước làm lại"))
    assert reply.intent == "procedure"
    second.rate_answer("telegram", helpful=False, user_id="77")
    with sessions() as session:
        rows = session.query(QuestionLog).all()
        assert [row.helpful for row in rows] == [False]
        assert rows[0].id == first.store.load("telegram", "77").answered_question


def test_turning_down_what_was_offered_marks_that_question_unanswered_and_logs_no_new_one(sessions, mini_engine):
    """"không phải" asks nothing: the question it turns down goes to the learning queue as not
    helped (and to the catalogue-gap report), and the words "không phải" are not logged as a question."""
    import datetime as dt

    from bot.app.conversations import ConversationStore
    from bot.app.service import ConversationService
    from bot.engine.replies import HOTLINE
    from bot.engine.types import Incoming
    from feedback import learning
    from feedback.db import utcnow
    from feedback.models import QuestionLog

    service = ConversationService(mini_engine, ConversationStore(sessions))
    asked = service.respond(Incoming("telegram", "78", "mất căn cước làm lại"))
    assert asked.options  # choices or "see also" options: something was offered
    turned_down = service.respond(Incoming("telegram", "78", "không phải"))
    assert turned_down.rejects_offer and turned_down.decision == "decline"
    assert "dichvucong.gov.vn" in turned_down.text and HOTLINE in turned_down.text
    with sessions() as session:
        rows = session.query(QuestionLog).all()
        assert [(row.text, row.helpful) for row in rows] == [("mất căn cước làm lại", False)]
        now = utcnow()
        queued = learning.queue(session, now - dt.timedelta(days=1), now + dt.timedelta(days=1))
        assert [item.text for item in queued] == ["mất căn cước làm lại"]
        assert queued[0].reason == ("người hỏi: không phải" if asked.decision == "clarify" else "👎")
    again = service.respond(Incoming("telegram", "78", "không phải"))  # nothing offered any more: a message like any other
    assert not again.rejects_offer
