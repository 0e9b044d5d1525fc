"""The compiled encoder (`models.compiled`): inductor on the real tiny transformer, swapped in
the background, the same predictions as eager; and a failed compile keeps serving eagerly."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from fastapi.testclient import TestClient  # noqa: E402

from models.compiled import compile_in_background  # noqa: E402
from models.transformer import load_classifier  # noqa: E402
from service.app import create_app  # noqa: E402
from tests.conftest import build_world  # noqa: E402
from triage.core.settings import Settings  # noqa: E402
from triage.storage import migrate  # noqa: E402
from triage.storage.db import make_engine, make_session_factory  # noqa: E402

TEXTS = [
    "Sauber.",
    "Das Zimmer war sauber und ruhig. The shower was cold and nobody came to fix it, "
    "although we asked twice at the desk and waited all evening for someone.",
    "Great breakfast, friendly staff.",
    "Das Frühstück war kalt.",
]


def _close(got: list, want: list) -> float:
    return max(
        abs(g.probabilities[label] - p)
        for g, w in zip(got, want, strict=True)
        for label, p in w.probabilities.items()
    )


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_compiled_encoder_is_swapped_in_and_predicts_like_eager(
    precision: str, tiny_encoder: Path, make_model_dir: Callable[..., Path], tmp_path: Path
) -> None:
    model_dir = make_model_dir(encoder=str(tiny_encoder))
    eager = load_classifier(model_dir, cache_dir=tmp_path, threads=1, precision=precision)
    compiled = load_classifier(
        model_dir, cache_dir=tmp_path, threads=1, precision=precision, compile_encoder=True
    )
    assert compiled.compiling is not None
    uncompiled_model = compiled._encoder.model
    # Serving does not wait for the compile: the eager encoder answers meanwhile.
    assert _close(compiled.predict(TEXTS[:1]), eager.predict(TEXTS[:1])) < 0.02
    assert compiled.compiling.wait(timeout=900), compiled.compiling.error
    assert compiled.compiling.error is None
    assert compiled.compiling.seconds is not None and compiled.compiling.seconds > 0
    assert compiled._encoder.model is not uncompiled_model
    # Every batch shape: one short text, a long one in several windows, a mixed batch; all
    # served by the graphs of the warm-up (a guard failure would raise here).
    for batch in ([TEXTS[0]], [TEXTS[1]], TEXTS, TEXTS * 5):
        want = eager.predict(batch)
        with torch.compiler.set_stance("fail_on_recompile"):
            got = compiled.predict(batch)
        assert [len(p.sentences) for p in got] == [len(p.sentences) for p in want]
        assert _close(got, want) < 0.02


def test_a_failed_compile_keeps_the_eager_encoder_serving(
    tiny_encoder: Path, make_model_dir: Callable[..., Path], tmp_path: Path
) -> None:
    model_dir = make_model_dir(encoder=str(tiny_encoder))
    eager = load_classifier(model_dir, cache_dir=tmp_path, threads=1, precision="bf16")
    classifier = load_classifier(model_dir, cache_dir=tmp_path, threads=1, precision="bf16")
    model = classifier._encoder.model
    # A machine without a C++ compiler: inductor cannot build its kernels.
    state = compile_in_background(
        classifier._encoder,
        options={"cpp.cxx": (str(tmp_path / "no-such-c++"),), "fx_graph_cache": False},
    )
    assert state.wait(timeout=900) is False
    assert state.error and "C++ compiler" in state.error
    assert classifier._encoder.model is model
    assert _close(classifier.predict(TEXTS), eager.predict(TEXTS)) < 1e-6


def test_the_service_answers_while_compiling_and_reports_the_compiled_encoder(
    tiny_encoder: Path, make_model_dir: Callable[..., Path], tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path / 'triage.db'}"
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    world = build_world(make_session_factory(engine))
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path / "var",
        model_dir=make_model_dir(encoder=str(tiny_encoder)),
        model_threads=1,
        model_precision="int8",
        model_compile=True,
    )
    states = []
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 900
        while client.get("/v1/readyz").json()["model_version"] is None:
            assert time.monotonic() < deadline, "the model never loaded"
            time.sleep(0.05)
        for i in range(10_000):
            response = client.post(
                "/v1/reviews",
                headers=world.auth(world.key_a),
                json={
                    "property_id": "hotel-a",
                    "external_id": f"r{i}",
                    "source": "survey",
                    "text": TEXTS[i % 4],
                    "language": "de",
                },
            )
            assert response.status_code == 201, response.text
            assert response.json()["model_version"] == "tiny-test-1", response.json()["reasons"]
            ready = client.get("/v1/readyz").json()
            states.append(ready["model_encoder"])
            if ready["model_encoder"] == "compiled" or time.monotonic() > deadline:
                break
    assert states[0] == "compiling"
    assert states[-1] == "compiled"
