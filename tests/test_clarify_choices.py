"""A clarifying question offers each procedure once, as the citizen reads it."""

from __future__ import annotations

from bot.engine.decide import Decision
from bot.engine.types import ConversationState
from indexer.build import build_index
from indexer.search import Index
from knowledge.schema import Catalogue, Procedure


def _proc(code: str, name: str) -> Procedure:
    return Procedure(code=code, name=name, group=code.replace(".", "-"), field="Đường bộ", levels=["Cấp tỉnh"],
                     agency="Công an cấp tỉnh", result="Chứng nhận đăng ký xe")


def test_procedures_differing_only_by_channel_are_one_choice(tmp_path, hashing_embedder):
    catalogue = Catalogue(procedures=(
        _proc("1.000010", "Cấp lại chứng nhận đăng ký xe, biển số xe thực hiện bằng dịch vụ công trực tuyến toàn trình"),
        _proc("1.000011", "Cấp lại chứng nhận đăng ký xe, biển số xe thực hiện bằng dịch vụ công trực tuyến một phần"),
        _proc("1.000012", "Đổi chứng nhận đăng ký xe, biển số xe"),
        _proc("1.000013", "Thu hồi chứng nhận đăng ký xe, biển số xe"),
    ))
    build_index(catalogue, hashing_embedder, tmp_path / "index", cache_dir=tmp_path / "cache")
    index = Index.load(tmp_path / "index", hashing_embedder)
    from bot.engine.turn import Engine

    engine = Engine.create(index, cache_dir=tmp_path / "cache")
    result = index.search("cà vẹt xe")
    by_group = {h.group: h for h in result.hits}
    hits = [by_group[g] for g in ("1-000010", "1-000011", "1-000012", "1-000013")]
    reply = engine._clarify(Decision("procedure", hits, 0.3, clarify=True), result, "general", ConversationState(), "vi")
    labels = [o.label for o in reply.options]
    assert len(labels) == 3
    assert len({label.split(". ", 1)[1] for label in labels}) == 3, labels
    assert reply.state.options == ("1-000010", "1-000012", "1-000013"), labels
