import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import pytest

from indexer.build import active_version, build_index
from indexer.embed import CachedEmbedder, HashingEmbedder
from indexer.fusion import fuse, rank_groups
from indexer.search import Index, IndexMismatch
from indexer.items import Item

TESTS = Path(__file__).parent
ROOT = TESTS.parent


def test_fusion_is_weighted_reciprocal_rank():
    fused = fuse({"dense": [("a", 0.9), ("b", 0.8)], "lexical": [("b", 5.0), ("a", 1.0)]},
                 {"dense": 1.0, "lexical": 2.0}, k=1.0, blend=0.0)
    assert fused["b"] == pytest.approx(1.0 / 3 + 2.0 / 2)
    assert fused["a"] == pytest.approx(1.0 / 2 + 2.0 / 3)
    assert max(fused, key=fused.get) == "b"


def test_fusion_breaks_a_rank_tie_by_how_clearly_each_retriever_preferred():
    # dense barely prefers "a" (0.905 vs 0.904), BM25 clearly prefers "b" (42 vs 36): equal ranks, not equal calls
    rankings = {"dense": [("a", 0.905), ("b", 0.904), ("c", 0.80)], "lexical": [("b", 42.0), ("a", 36.0), ("c", 10.0)]}
    weights = {"dense": 1.0, "lexical": 1.0}
    plain = fuse(rankings, weights, blend=0.0)
    assert plain["a"] == pytest.approx(plain["b"])
    blended = fuse(rankings, weights, blend=0.2)
    assert blended["b"] > blended["a"] > blended["c"]
    # the blend only adds: the rank part is unchanged, the last candidate adds nothing
    assert blended["c"] == pytest.approx(plain["c"])


def test_rank_groups_keeps_the_best_variant():
    items = [Item("1", "procedure", "g", "x"), Item("2", "procedure", "g", "y"), Item("3", "procedure", "h", "z")]
    assert rank_groups({0: 0.2, 1: 0.7, 2: 0.5}, items) == [("g", 0.7), ("h", 0.5)]


def test_index_groups_level_variants(mini_index):
    result = mini_index.search("mất căn cước làm lại")
    top = result.hits[0]
    assert top.group == "cap-lai-can-cuoc"
    assert set(top.item_ids) == {"1.000002", "1.000003"}
    assert top.item_ids[0] == "1.000002"  # commune level first on a tie


def test_unaccented_query_finds_the_same_procedure(mini_index):
    assert mini_index.search("lam giay khai sinh cho con").hits[0].group == "khai-sinh"
    assert mini_index.search("bang lai xe").procedures()[0].group == "cap-giay-phep-lai-xe"


def test_each_method_alone(mini_index):
    for method in ("dense", "lexical", "fuzzy"):
        result = mini_index.search("đăng ký tạm trú ở trọ", method=method)
        assert result.hits and result.hits[0].group == "dang-ky-tam-tru", method


def test_lexical_coverage_is_the_share_of_words_the_catalogue_uses(mini_index):
    assert mini_index.lexical_coverage(mini_index.normalizer.query("đăng ký tạm trú")) == 1.0
    english = mini_index.lexical_coverage(mini_index.normalizer.query("where should we queue tomorrow morning"))
    assert english < 0.5


def test_faq_items_are_searchable(mini_index):
    assert mini_index.search("một cửa liên thông là gì").hits[0].group == "faq:mot-cua-lien-thong"


def test_load_refuses_a_different_embedder(mini_index):
    with pytest.raises(IndexMismatch):
        Index(mini_index.path, HashingEmbedder(128))


def test_build_is_atomic_and_versioned(tmp_path, mini_catalogue, hashing_embedder):
    root = tmp_path / "idx"
    first = build_index(mini_catalogue, hashing_embedder, root)
    second = build_index(mini_catalogue, hashing_embedder, root)
    assert active_version(root) == second != first
    assert (root / "current").is_symlink()
    manifest = json.loads((second / "manifest.json").read_text())
    assert manifest["embedder"] == hashing_embedder.name and manifest["procedures"] == 5
    assert manifest["embedding_cache"]["misses"] == 0  # second build reused every embedding
    assert not [p for p in (root / "versions").iterdir() if p.name.startswith(".staging")]


def test_two_builds_of_one_catalogue_are_byte_identical_whatever_the_hash_seed(tmp_path):
    """bm25s gathered its vocabulary in a set, whose order changes with the process's hash seed:
    every build, and every shipped sample index, differed in bytes though in no score."""
    script = ("import sys; from pathlib import Path; from indexer.build import build_index; "
              "from indexer.embed import HashingEmbedder; from knowledge.loaders import load_catalogue; "
              "cat = load_catalogue(Path(sys.argv[1])).catalogue; "
              "print(build_index(cat, HashingEmbedder(256), Path(sys.argv[2]), cache_dir=Path(sys.argv[3])))")
    built = []
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", script, str(TESTS / "data" / "mini.yaml"), str(tmp_path / seed),
                              str(tmp_path / "cache")], env={**os.environ, "PYTHONHASHSEED": seed},
                             capture_output=True, text=True, check=True, cwd=ROOT)
        built.append(Path(out.stdout.strip().splitlines()[-1]))
    files = sorted(p.relative_to(built[0]) for p in (built[0] / "lexical").iterdir())
    assert files and all((built[0] / f).read_bytes() == (built[1] / f).read_bytes() for f in files)


def test_failed_build_leaves_the_active_version(tmp_path, mini_catalogue):
    class Broken(HashingEmbedder):
        def encode(self, texts, is_query):
            raise RuntimeError("model crashed")

    root = tmp_path / "idx"
    good = build_index(mini_catalogue, HashingEmbedder(256), root)
    with pytest.raises(RuntimeError):
        build_index(mini_catalogue, Broken(256), root, cache_dir=tmp_path / "empty-cache")
    assert active_version(root) == good
    assert not [p for p in (root / "versions").iterdir() if p.name.startswith(".staging")]


def test_embedding_cache_persists(tmp_path):
    cached = CachedEmbedder(HashingEmbedder(64), tmp_path)
    cached.encode(["a", "b"], is_query=True)
    cached.save()
    again = CachedEmbedder(HashingEmbedder(64), tmp_path)
    again.encode(["a", "b", "c"], is_query=True)
    assert (again.hits, again.misses) == (2, 1)


def test_age_bounds_from_names_and_queries():
    from indexer.stated_facts import age_range, stated_age

    assert age_range("cap the can cuoc cho nguoi duoi 14 tuoi") == (0, 14)
    assert age_range("cap the can cuoc cho nguoi tu du 14 tuoi tro len") == (14, 200)
    assert age_range("dang ky khai sinh") is None
    assert stated_age("con toi moi 10 tuoi thi sao") == 10
    assert stated_age("con 10 tuoi va 16 tuoi") is None


def test_procedures_are_read_on_demand_and_agree_with_the_catalogue(mini_index, mini_catalogue):
    """The index keeps offsets, not parsed procedures (memory); what it reads back is what was built."""
    from knowledge.store import ProcedureStore

    store = ProcedureStore(mini_index.path / "catalogue.jsonl", cache_size=2)
    assert len(store) == len(mini_catalogue.procedures) and set(store) == {p.code for p in mini_catalogue.procedures}
    for proc in mini_catalogue.procedures:
        assert store[proc.code] == proc
    assert store._parsed.cache_info().currsize == 2  # bounded: only the recently used stay parsed
    assert store.get("9.999999") is None and "9.999999" not in store
    with pytest.raises(KeyError):
        store["9.999999"]
    assert store.faq == {f.topic: f for f in mini_catalogue.faq}
    assert sorted(store.catalogue().procedures, key=lambda p: p.code) == sorted(mini_catalogue.procedures, key=lambda p: p.code)
    assert mini_index.catalogue.faq == store.catalogue().faq


def test_a_follow_up_search_reuses_the_vectors_of_the_conversation(mini_index, hashing_embedder):
    """In context, a follow-up embeds nothing new when its parts were embedded before (each earlier
    message was, when it was asked), and its result is cached apart from a plain search."""
    from indexer.query_cache import QueryCache

    embedder = QueryCache(hashing_embedder, 100)
    index = Index(mini_index.path, embedder, cache_size=100)
    first = index.search("làm giấy khai sinh cho con cần giấy tờ gì")
    index.search("thế còn lệ phí")
    before = embedder.stats().misses
    follow_up = index.search_in_context(["làm giấy khai sinh cho con cần giấy tờ gì"], "thế còn lệ phí")
    assert embedder.stats().misses == before  # no new embedding
    assert follow_up.procedures()[0].group == first.procedures()[0].group
    assert abs(float(np.linalg.norm(follow_up.query_vector)) - 1.0) < 1e-5
    assert "khai sinh" in follow_up.query.folded and "le phi" in follow_up.query.folded  # lexical reads both
    plain = index.search("làm giấy khai sinh cho con cần giấy tờ gì thế còn lệ phí")
    assert not np.allclose(plain.query_vector, follow_up.query_vector)  # separate cache entries
    assert index.search_in_context([], "thế còn lệ phí").query_vector is not None


def test_a_follow_up_takes_the_context_vector_from_a_cached_result(mini_index, hashing_embedder):
    """A popular question answered from the result cache never reached the embedding cache (or was
    embedded by another worker); its cached result still holds the vector the follow-up needs."""
    from indexer.query_cache import QueryCache

    embedder = QueryCache(hashing_embedder, 100)
    index = Index(mini_index.path, embedder, cache_size=100)
    index.search("làm giấy khai sinh cho con cần giấy tờ gì")
    embedder.lru.clear()
    before = embedder.stats().misses
    index.search_in_context(["làm giấy khai sinh cho con cần giấy tờ gì"], "thế còn lệ phí")
    assert embedder.stats().misses == before + 1  # only the follow-up's own text


def test_a_cached_index_built_by_other_code_is_built_again(tmp_path, mini_catalogue, hashing_embedder):
    """After an upgrade the cached index holds documents normalised the old way: it is rebuilt, not served."""
    from bot.app.settings import Settings
    from bot.app.wiring import ensure_index, index_root_for

    settings = Settings(cache_dir=tmp_path, embedder="hashing")
    first = ensure_index(settings, mini_catalogue, hashing_embedder)
    assert ensure_index(settings, mini_catalogue, hashing_embedder).path == first.path  # same code: reused
    manifest = json.loads((first.path / "manifest.json").read_text())
    (first.path / "manifest.json").write_text(json.dumps({**manifest, "builder": "older-code"}))
    rebuilt = ensure_index(settings, mini_catalogue, hashing_embedder)
    assert rebuilt.path != first.path and rebuilt.path.parent == index_root_for(settings, mini_catalogue, hashing_embedder) / "versions"
    assert rebuilt.search("mất căn cước làm lại").hits


def test_an_administrators_index_built_by_older_code_is_built_again_while_it_serves(tmp_path, mini_catalogue,
                                                                                     hashing_embedder):
    """TTHC_INDEX_DIR is served as built; after an upgrade a background build replaces it, once."""
    from bot.app.settings import Settings
    from bot.app.stale_index import LOCK_NAME, built_by_older_code, rebuild_in_background
    from bot.app.wiring import ensure_index

    root = tmp_path / "index"
    build_index(mini_catalogue, hashing_embedder, root, cache_dir=tmp_path / "cache")
    settings = Settings(cache_dir=tmp_path, embedder="hashing", index_dir=root)
    served = ensure_index(settings, mini_catalogue, hashing_embedder)
    assert rebuild_in_background(served, root, hashing_embedder, tmp_path / "cache") is None  # current code: nothing
    manifest = json.loads((served.path / "manifest.json").read_text())
    (served.path / "manifest.json").write_text(json.dumps({**manifest, "builder": "older-code"}))
    assert built_by_older_code(root)
    assert ensure_index(settings, mini_catalogue, hashing_embedder).path == served.path  # still served as is

    held = os.open(root / LOCK_NAME, os.O_CREAT | os.O_RDWR)  # another worker is already building
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        assert rebuild_in_background(served, root, hashing_embedder, tmp_path / "cache") is None
    finally:
        fcntl.flock(held, fcntl.LOCK_UN)
        os.close(held)

    thread = rebuild_in_background(served, root, hashing_embedder, tmp_path / "cache")
    assert thread is not None
    thread.join(timeout=60)
    assert active_version(root) != served.path and not built_by_older_code(root)
    assert Index.load(root, hashing_embedder).search("mất căn cước làm lại").hits
