"""The learned aspect model (bot.engine.aspect_model): what it reads, how it is stored, and that it
reads question shapes it was never fitted on better than the cue lists alone."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.app.shipped_index import shipped_dir
from bot.engine.aspect_model import (
    ASPECT_FILE,
    AspectModel,
    aspect_model_key,
    cue_reading,
    examples,
    filled_examples,
    load_or_fit,
    ngrams,
    templates,
    written_questions,
)


@pytest.fixture(scope="module")
def model(mini_index) -> AspectModel:
    return AspectModel.fit(mini_index)


def _read(model: AspectModel, index, text: str) -> str:
    return model.read(text, index.normalizer.query(text).restored)[0]


def test_ngrams_read_the_same_with_or_without_marks():
    assert ngrams("Cần giấy tờ gì") == ngrams("can giay to gi")
    assert "can giay to" in ngrams("cần giấy tờ gì") and "gi" in ngrams("cần giấy tờ gì")


def test_numpy_reading_matches_scikit_learn(mini_index, model):
    """Serving re-implements TfidfVectorizer and the logistic model's probabilities with numpy;
    they must agree with scikit-learn's own on the examples it was fitted on."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from bot.engine.aspect_model import MIN_EXAMPLES, C, cue_inputs

    texts, y = examples(mini_index)
    restored = [mini_index.normalizer.query(t).restored for t in texts]
    vectorizer = TfidfVectorizer(analyzer=ngrams, min_df=MIN_EXAMPLES, sublinear_tf=True)
    grams = vectorizer.fit_transform(restored)
    assert vectorizer.vocabulary_ == model.vocabulary
    cues = csr_matrix(np.vstack([cue_inputs(model.labels, cue_reading(t, r)) for t, r in zip(texts, restored, strict=True)]))
    reference = LogisticRegression(C=C, max_iter=3000).fit(hstack([grams, cues]).tocsr(), y)
    for i in range(0, len(texts), 97):
        expected = dict(zip(reference.classes_, reference.predict_proba(hstack([grams[i], cues[i]]).tocsr())[0], strict=True))
        got = model.probabilities(restored[i], cue_reading(texts[i], restored[i]))
        assert got == pytest.approx(expected, abs=1e-6)


def test_it_reads_question_shapes_it_was_not_fitted_on_better_than_the_cues(mini_index):
    """Fitted on every other template of each aspect and read on the rest (filled with the same
    catalogue's names): the words around a name teach more than the cue lists hold."""
    written = templates()
    fitted = {a: frames[0::2] for a, frames in written.items()}
    held_out = {a: frames[1::2] for a, frames in written.items()}
    half = AspectModel.fit(mini_index, fitted, questions=())  # templates alone
    texts, gold = filled_examples(mini_index, held_out)
    restored = [mini_index.normalizer.query(t).restored for t in texts]
    by_model = np.mean([half.read(t, r)[0] == g for t, r, g in zip(texts, restored, gold, strict=True)])
    by_cues = np.mean([cue_reading(t, r)[0] == g for t, r, g in zip(texts, restored, gold, strict=True)])
    print(f"held-out templates: model {by_model:.3f}, cues {by_cues:.3f}")
    assert by_model > by_cues + 0.05, (by_model, by_cues)


def test_written_questions_teach_what_templates_do_not(mini_index):
    """Fitted with every other written tuning question and read on the rest: whole messages, with
    their stories and their writers' ways of asking, teach more than templates filled with names."""
    written = written_questions()
    fitted, held_out = written[0::2], written[1::2]
    templates_only = AspectModel.fit(mini_index, questions=())
    with_questions = AspectModel.fit(mini_index, questions=fitted)
    restored = [mini_index.normalizer.query(q).restored for q, _ in held_out]
    before = np.mean([templates_only.read(q, r)[0] == a for (q, a), r in zip(held_out, restored, strict=True)])
    after = np.mean([with_questions.read(q, r)[0] == a for (q, a), r in zip(held_out, restored, strict=True)])
    print(f"held-out written questions: templates alone {before:.3f}, with the other half {after:.3f}")
    assert after > before + 0.02, (before, after)


def test_what_the_cues_miss_or_misread(mini_index, model):
    # "có cần … không" reads as eligibility to the cues; with a photo it asks for a document
    assert cue_reading("làm căn cước có cần chụp hình không", "làm căn cước có cần chụp hình không")[0] == "eligibility"
    assert _read(model, mini_index, "làm căn cước có cần mang ảnh không") == "documents"
    # stated aspects stay as stated, typed with or without marks and in teencode
    assert _read(model, mini_index, "đăng ký tạm trú cần j") == "documents"
    assert _read(model, mini_index, "lam ho chieu o dau") == "place"
    assert _read(model, mini_index, "đổi bằng lái mất bao lâu") == "time"
    assert _read(model, mini_index, "thủ tục đăng ký tạm trú") == "general"


def test_cued_is_what_the_cue_lists_say(mini_index, model):
    """A follow-up keeps the conversation's aspect unless it states one (bot.engine.turn)."""
    assert model.read("phí bao nhiêu", "phí bao nhiêu")[1] is True
    assert model.read("ok", "ok")[1] is False


def test_stored_weights_load_only_for_the_same_key(tmp_path, mini_index, model):
    key = aspect_model_key(mini_index)
    model.save(tmp_path / ASPECT_FILE, key)
    loaded = AspectModel.load(tmp_path / ASPECT_FILE, key)
    text = "làm hộ chiếu cần những giấy tờ gì"
    reading = cue_reading(text, text)
    assert loaded is not None and loaded.probabilities(text, reading) == pytest.approx(model.probabilities(text, reading))
    assert AspectModel.load(tmp_path / ASPECT_FILE, "another") is None
    assert AspectModel.load(tmp_path / "missing.npz", key) is None


@pytest.mark.parametrize("damage", [lambda b: b[: len(b) // 2], lambda b: b"", lambda b: b"not a model"])
def test_a_damaged_stored_model_reads_as_missing(tmp_path, mini_index, model, damage):
    """A truncated or empty weights file (a full disk, a copy cut short) is refitted, not a crash at start."""
    from bot.engine.intent_model import SoftmaxClassifier

    key = aspect_model_key(mini_index)
    model.save(tmp_path / ASPECT_FILE, key)
    path = tmp_path / ASPECT_FILE
    path.write_bytes(damage(path.read_bytes()))
    assert AspectModel.load(path, key) is None
    assert SoftmaxClassifier.load(path, key) is None  # the intent model's weights are read the same way


def test_load_or_fit_fits_once_then_loads(tmp_path, mini_index, monkeypatch):
    first = load_or_fit(mini_index, tmp_path)  # fitted now, or stored beside the index by an earlier engine
    key = aspect_model_key(mini_index)
    assert any(AspectModel.load(p, key) for p in (mini_index.path / ASPECT_FILE, tmp_path / "aspects" / f"{key}.npz"))

    def refit(*_args, **_kwargs):
        raise AssertionError("a stored model was fitted again")

    monkeypatch.setattr(AspectModel, "fit", refit)
    assert load_or_fit(mini_index, tmp_path).labels == first.labels


def test_another_version_of_the_same_catalogue_reuses_the_model_this_process_holds(tmp_path, mini_index, mini_catalogue,
                                                                                 hashing_embedder, monkeypatch):
    """A rebuild of the same catalogue (swapped in without a stop) has the same key: no refit."""
    from indexer.build import build_index
    from indexer.search import Index

    held = load_or_fit(mini_index, tmp_path / "first")
    build_index(mini_catalogue, hashing_embedder, tmp_path / "rebuilt", cache_dir=tmp_path / "cache")
    rebuilt = Index.load(tmp_path / "rebuilt", hashing_embedder)

    def refit(*_args, **_kwargs):
        raise AssertionError("the model was fitted again for the same key")

    monkeypatch.setattr(AspectModel, "fit", refit)
    assert load_or_fit(rebuilt, tmp_path / "second") is held
    assert AspectModel.load(rebuilt.path / ASPECT_FILE, aspect_model_key(rebuilt)) is not None  # stored there too


def test_the_shipped_model_reads_a_photo_asked_after_as_a_document():
    """The same reading on the shipped sample, where the templates are filled with 135 procedures'
    names. On the five-procedure test catalogue the written questions' "có cần … không" (mostly
    "must I …", eligibility) outweigh its few filled templates for this phrasing, and it reads
    eligibility there ("… có cần mang ảnh không" stays documents, above)."""
    from types import SimpleNamespace

    from indexer.normalize import Normalizer

    manifest = json.loads((shipped_dir() / "manifest.json").read_text())
    shipped = AspectModel.load(shipped_dir() / ASPECT_FILE, aspect_model_key(SimpleNamespace(manifest=manifest)))
    text = "làm căn cước có cần chụp hình không"
    assert shipped is not None and shipped.read(text, Normalizer().query(text).restored)[0] == "documents"


def test_the_shipped_aspect_model_fits_the_shipped_index():
    from types import SimpleNamespace

    manifest = json.loads((shipped_dir() / "manifest.json").read_text())
    with np.load(shipped_dir() / ASPECT_FILE) as data:
        assert str(data["key"]) == aspect_model_key(SimpleNamespace(manifest=manifest)), \
            "the shipped aspect model is stale: run `tthc index ship` and commit bot/data/sample-index"
