"""Dynamic batching shares model calls between concurrent callers, and isolates failures."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from models import ClassifierInfo, Prediction
from models.batching import BatchingClassifier
from models.double import KeywordClassifier


class Recording:
    """Records the batch sizes the model saw; fails on texts containing 'poison'."""

    def __init__(self) -> None:
        self.inner = KeywordClassifier()
        self.batches: list[int] = []
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()

    @property
    def info(self) -> ClassifierInfo:
        return self.inner.info

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            if any("poison" in t for t in texts):
                raise ValueError("bad input")
            threading.Event().wait(0.01)
            self.batches.append(len(texts))
            return self.inner.predict(texts)
        finally:
            with self.lock:
                self.active -= 1


def test_concurrent_callers_share_batches_and_get_their_own_answers() -> None:
    model = Recording()
    batcher = BatchingClassifier(model, max_batch=64, max_wait=0.02)
    texts = [f"text {i} {'great' if i % 2 else 'terrible'}" for i in range(32)]
    results: dict[int, Prediction] = {}
    barrier = threading.Barrier(32)

    def call(i: int) -> None:
        barrier.wait()
        (results[i],) = batcher.predict([texts[i]])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    batcher.close()
    expected = KeywordClassifier().predict(texts)
    assert [results[i] for i in range(32)] == expected
    assert sum(model.batches) == 32
    assert len(model.batches) < 32, "callers should have shared batches"
    assert model.max_active == 1, "the model is never called by two threads at once"


def test_a_failing_request_does_not_fail_its_neighbours() -> None:
    model = Recording()
    batcher = BatchingClassifier(model, max_batch=64, max_wait=0.05)
    outcomes: dict[str, object] = {}
    barrier = threading.Barrier(3)

    def call(name: str, text: str) -> None:
        barrier.wait()
        try:
            outcomes[name] = batcher.predict([text])[0].label
        except ValueError as error:
            outcomes[name] = error

    threads = [
        threading.Thread(target=call, args=args)
        for args in (("a", "great stay"), ("b", "poison"), ("c", "terrible stay"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    batcher.close()
    assert outcomes["a"] == "positive"
    assert outcomes["c"] == "negative"
    assert isinstance(outcomes["b"], ValueError)


def test_errors_reach_a_lone_caller() -> None:
    batcher = BatchingClassifier(Recording())
    with pytest.raises(ValueError, match="bad input"):
        batcher.predict(["poison"])
    assert batcher.predict([]) == []
    batcher.close()


def test_build_off_main_thread_returns_the_result_from_another_thread() -> None:
    from models.batching import build_off_main_thread

    main = threading.main_thread()
    ran_in: list[threading.Thread] = []

    def build() -> str:
        ran_in.append(threading.current_thread())
        return "model"

    assert build_off_main_thread(build) == "model"
    assert ran_in and ran_in[0] is not main and not ran_in[0].is_alive()


def test_build_off_main_thread_raises_the_builders_error() -> None:
    from models.batching import build_off_main_thread
    from models.errors import ModelLoadError

    def build() -> str:
        raise ModelLoadError("no encoder here")

    with pytest.raises(ModelLoadError, match="no encoder here"):
        build_off_main_thread(build)


def test_the_model_thread_runs_at_a_lower_priority_than_the_requests() -> None:
    import os

    class Where:
        """Records the scheduling priority of the thread that runs the model."""

        def __init__(self) -> None:
            self.inner = KeywordClassifier()
            self.nice: int | None = None

        @property
        def info(self) -> ClassifierInfo:
            return self.inner.info

        def predict(self, texts: Sequence[str]) -> list[Prediction]:
            self.nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
            return self.inner.predict(texts)

    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    model = Where()
    batcher = BatchingClassifier(model, nice=5)
    try:
        assert [p.label for p in batcher.predict(["Dirty room, rude staff."])] == ["negative"]
        assert model.nice == min(19, mine + 5)
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine  # ours stays
    finally:
        batcher.close()
