"""Dynamic batching: concurrent callers share model batches (torch-free).

Each `predict()` call puts its texts on a queue and waits. One worker thread
takes whatever is waiting (up to `max_batch` texts, waiting at most `max_wait`
seconds for more) and runs it through the wrapped classifier as one batch. So
the model is never called by two threads at once (no oversubscribed cores),
and 32 clients posting single reviews get batch throughput, not one-at-a-time
speed. If a shared batch fails, each caller's texts are retried on their own,
so one bad request cannot fail its neighbours.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from models.prediction import ClassifierInfo, Prediction, SentimentClassifier

T = TypeVar("T")


def build_off_main_thread(build: Callable[[], T]) -> T:
    """Run `build` (loading a model) in a short-lived thread of its own and return its result
    (or raise its exception).

    torch's OpenMP runtime (libgomp) keeps a team of threads for each thread that has run a
    parallel region. Once the main thread has one, the parallel regions of any other thread,
    such as the batcher's worker, ran far slower on a 2-core machine: the int8 model path
    read 96 hotel reviews at 28 reviews/s from the main thread, 12/s from the batcher after
    a load in the main thread, and 27/s after a load here (element-wise ops 3-5x slower).
    Loading runs such regions (weight quantisation, the precision probe, the adapter
    merge), so the service loads its model here and its main thread never runs torch.
    """
    box: dict[str, T] = {}
    failure: list[BaseException] = []

    def run() -> None:
        try:
            box["result"] = build()
        except BaseException as error:  # handed to the caller
            failure.append(error)

    thread = threading.Thread(target=run, name="model-loader")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return box["result"]


@dataclass
class _Job:
    texts: list[str]
    done: threading.Event = field(default_factory=threading.Event)
    result: list[Prediction] | None = None
    error: BaseException | None = None


class BatchingClassifier:
    """Wraps a classifier; safe to call from many threads.

    `nice` lowers the CPU priority of the worker thread, and so of the compute threads its
    model starts (Linux threads inherit it), and of the threads an engine started when it
    was loaded (the model's `compute_threads`): requests that take reviews in or answer
    people get the cores first, the model every idle cycle. Without it, 32 clients posting
    reviews asynchronously waited behind the model's two threads (p99 500 ms)."""

    def __init__(
        self,
        inner: SentimentClassifier,
        *,
        max_batch: int = 64,
        max_wait: float = 0.004,
        nice: int = 0,
    ) -> None:
        self._inner = inner
        self._max_batch = max_batch
        self._max_wait = max_wait
        self._nice = nice
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()
        #: the worker thread's id in the kernel, once it runs
        self.worker_tid: int | None = None

    @property
    def info(self) -> ClassifierInfo:
        return self._inner.info

    @property
    def inner(self) -> SentimentClassifier:
        return self._inner

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        self._ensure_worker()
        job = _Job(list(texts))
        self._jobs.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        assert job.result is not None
        return job.result

    def close(self) -> None:
        """Stop the worker after the jobs already queued."""
        if self._worker is not None:
            self._jobs.put(None)
            self._worker.join(timeout=30)
            self._worker = None

    def _ensure_worker(self) -> None:
        with self._start_lock:
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="model-batcher", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        self.worker_tid = threading.get_native_id()
        if self._nice:
            # This thread (Linux: per thread), before the model starts compute threads of
            # its own from it, and those an engine started when it was loaded.
            engine_threads = getattr(self._inner, "compute_threads", ())
            for tid in (self.worker_tid, *engine_threads):
                try:
                    current = os.getpriority(os.PRIO_PROCESS, tid)
                    os.setpriority(os.PRIO_PROCESS, tid, min(19, current + self._nice))
                except OSError:
                    pass  # not permitted here, or gone: that thread keeps its priority
        while True:
            first = self._jobs.get()
            if first is None:
                return
            jobs = [first]
            size = len(first.texts)
            deadline = time.monotonic() + self._max_wait
            stop = False
            while size < self._max_batch:
                remaining = deadline - time.monotonic()
                try:
                    job = (
                        self._jobs.get(timeout=max(remaining, 0))
                        if remaining > 0
                        else (self._jobs.get_nowait())
                    )
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                jobs.append(job)
                size += len(job.texts)
            self._run_jobs(jobs)
            if stop:
                return

    def _run_jobs(self, jobs: list[_Job]) -> None:
        texts = [text for job in jobs for text in job.texts]
        try:
            predictions = self._inner.predict(texts)
            if len(predictions) != len(texts):
                raise RuntimeError(
                    f"classifier returned {len(predictions)} predictions for {len(texts)} texts"
                )
        except Exception:
            if len(jobs) == 1:
                self._finish_alone(jobs[0])
                return
            for job in jobs:
                self._finish_alone(job)
            return
        start = 0
        for job in jobs:
            job.result = list(predictions[start : start + len(job.texts)])
            start += len(job.texts)
            job.done.set()

    def _finish_alone(self, job: _Job) -> None:
        try:
            job.result = list(self._inner.predict(job.texts))
        except BaseException as error:  # handed to the caller, who decides
            job.error = error
        job.done.set()
