"""Where the encoder's arithmetic runs: PyTorch, ONNX Runtime or OpenVINO ("engines").

An engine turns a padded batch of token ids and its attention mask into the last hidden
states `[batch, length, hidden]`. Everything around it (windows, pooling, passages, head,
temperature) is `models.embedding.TextEncoder` and `models.transformer`, the same for every
engine.

Engines (`ENGINES`):
- "torch": the transformers model in float32, eagerly. The reference, and what training uses.
- "onnxruntime": the model exported to ONNX (attention written out, so that ONNX Runtime fuses
  it), run by ONNX Runtime with its graph optimisations, float32.
- "onnxruntime-int8": that export through ONNX Runtime's transformer optimiser, its MatMuls
  then as MatMulNBits: 8-bit weights per block of 32 inputs, accuracy level 4 (activations
  quantised per block of 32 too, int8 products). Per-tensor int8 (`quantize_dynamic`) was
  tried and refused: one scale per batch flattened the other tokens (window cosine 0.79).
- "openvino": the same export read by OpenVINO's CPU plugin, float32.
- "openvino-bf16": the same with bfloat16 arithmetic, tried by "auto" only where the CPU
  multiplies bfloat16 natively (AVX512-BF16 or AMX): on two machines of this kind that both
  had it, torch's bf16 ran at 2.9x and at 0.6x the fp32 speed, so only timing tells.

Files: `prepare_files` builds them from the served model (its adapter merged) into
`<cache>/engines/<key>/`, the key a digest of the encoder's weights, the adapter, the window
settings and the library versions: once per model and machine (`triage setup`, or the first
load of a promoted model), written to a temporary folder and moved in whole, never
committed; the `KEEP_FILES` most recently used folders are kept, older ones removed. With
them, `reference.npz`: the torch model's window vectors of the probe texts (`PROBE_FILES`,
hand-written reviews that ship with the project), and in `build.json` the time torch took
for them.

Checking: an engine other than torch is served only if its window vectors of the probe
texts keep a cosine of at least `MIN_COSINE` to the reference and its labels (through the
model's head) agree on at least `MIN_AGREEMENT` of them; otherwise it is refused.

Choosing (`choose`): "auto" loads each exported engine in turn, checks it, times the probe
texts with it, keeps the fastest that passed and closes the others. Torch is timed too, but
its weights are read for that only when the build's time for it (same threads) comes within
`TORCH_MARGIN` of the fastest exported engine: elsewhere each start-up and promotion would
read 470 MB of weights and hold them beside an engine only to find torch slower. The choice,
with every candidate's time and drift, is logged and reported on /v1/readyz (`EngineReport`).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from models.atomic import replace_directory
from models.embedding import unit_rows
from models.errors import ModelLoadError

if TYPE_CHECKING:
    from models.embedding import TextEncoder

logger = logging.getLogger(__name__)

ENGINES = ("torch", "onnxruntime", "onnxruntime-int8", "openvino", "openvino-bf16")
SETTINGS = ("auto", *ENGINES)
#: Bumped when what `prepare_files` writes changes: older folders are then rebuilt.
FILES_FORMAT = 2
#: Engine folders kept in the data directory, the most recently used: the active model's,
#: a shadow candidate's, and the versions a rollback would go back to.
KEEP_FILES = 4
#: A building folder older than this was left by a process that was killed.
STALE_BUILD_SECONDS = 3600
#: Smallest cosine allowed between an engine's window vector and the reference's.
#: Measured on the default model: float32 engines 1.0000, onnxruntime-int8 0.9997.
MIN_COSINE = 0.99
#: Smallest share of probe texts whose label must agree with the reference's.
MIN_AGREEMENT = 0.95
#: The probe texts: hand-written reviews in the repository (`models/datasets`).
PROBE_FILES = ("hotel_reviews/de_dev.jsonl", "hotel_reviews/en_dev.jsonl")
PROBE_PER_FILE = 16

Ids = npt.NDArray[np.int64]
Hidden = npt.NDArray[np.float32]


class Engine(Protocol):
    name: str
    #: Kernel ids of the threads the engine computes on (it starts them itself), so that the
    #: batcher can lower their priority as it lowers its own (`models.batching`).
    compute_threads: tuple[int, ...]

    def hidden(self, input_ids: Ids, mask: Ids) -> Hidden: ...

    def close(self) -> None: ...


class TorchEngine:
    """The transformers model itself (float32, eager). Its OpenMP threads are started by
    the thread that calls it, and inherit that thread's priority."""

    name = "torch"
    compute_threads: tuple[int, ...] = ()

    def __init__(self, model: Any) -> None:
        self.model = model

    def hidden(self, input_ids: Ids, mask: Ids) -> Hidden:
        import torch

        with torch.inference_mode():
            out = self.model(
                input_ids=torch.from_numpy(input_ids), attention_mask=torch.from_numpy(mask)
            ).last_hidden_state
            result: Hidden = out.float().numpy()
        return result

    def close(self) -> None:
        self.model = None


class OnnxRuntimeEngine:
    """An exported encoder in ONNX Runtime, `threads` intra-op threads, no spinning: an idle
    engine thread spinning for work takes a core from the requests."""

    def __init__(self, name: str, path: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self.name = name
        with _new_threads() as started:
            self._session: Any = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        self.compute_threads = tuple(started)

    def hidden(self, input_ids: Ids, mask: Ids) -> Hidden:
        out: Hidden = self._session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
        return out

    def close(self) -> None:
        self._session = None


class OpenVinoEngine:
    """An exported encoder in OpenVINO's CPU plugin, `threads` threads, arithmetic in
    `precision` ("f32" or "bf16")."""

    def __init__(self, name: str, path: Path, threads: int, precision: str) -> None:
        import openvino as ov

        self.name = name
        core = ov.Core()
        with _new_threads() as started:
            compiled = core.compile_model(
                core.read_model(str(path)),
                "CPU",
                {
                    "INFERENCE_NUM_THREADS": threads,
                    "PERFORMANCE_HINT": "LATENCY",
                    "INFERENCE_PRECISION_HINT": precision,
                },
            )
            self._request: Any = compiled.create_infer_request()
            # OpenVINO starts its threads on the first inference.
            self._request.infer(
                {
                    "input_ids": np.ones((1, 2), np.int64),
                    "attention_mask": np.ones((1, 2), np.int64),
                }
            )
        self.compute_threads = tuple(started)

    def hidden(self, input_ids: Ids, mask: Ids) -> Hidden:
        out = self._request.infer({"input_ids": input_ids, "attention_mask": mask})
        result: Hidden = np.array(out[0], dtype=np.float32)  # a copy: the request reuses it
        return result

    def close(self) -> None:
        self._request = None


@contextlib.contextmanager
def _new_threads() -> Iterator[set[int]]:
    """The kernel ids of this process's threads started inside the block."""
    started: set[int] = set()
    before = _thread_ids()
    try:
        yield started
    finally:
        started.update(_thread_ids() - before)


def _thread_ids() -> set[int]:
    try:
        return {int(name) for name in os.listdir("/proc/self/task")}
    except OSError:
        return set()


@dataclass(frozen=True)
class EngineFiles:
    """The built files of one model for the engines other than torch."""

    folder: Path

    @property
    def onnx(self) -> Path:
        return self.folder / "encoder.onnx"

    @property
    def onnx_int8(self) -> Path:
        return self.folder / "encoder-int8.onnx"

    def reference(self) -> npt.NDArray[np.float32]:
        with np.load(self.folder / "reference.npz") as data:
            vectors: npt.NDArray[np.float32] = data["vectors"]
        return vectors

    def build_info(self) -> dict[str, Any]:
        info: dict[str, Any] = json.loads((self.folder / "build.json").read_text())
        return info


def probe_texts() -> list[str]:
    """The texts every engine is checked and timed on (German and English, short and long)."""
    root = Path(__file__).parent / "datasets"
    texts: list[str] = []
    for name in PROBE_FILES:
        rows = [json.loads(line) for line in (root / name).read_text().splitlines() if line]
        texts += [row["text"] for row in rows[:PROBE_PER_FILE]]
    return texts


def files_key(location: str, adapter: Path | None, encoder: TextEncoder) -> str:
    """The digest naming a model's engine files (see the module docstring)."""
    import onnxruntime
    import openvino
    import torch
    import transformers

    digest = hashlib.sha256()
    parts: dict[str, Any] = {
        "format": FILES_FORMAT,
        "versions": [torch.__version__, transformers.__version__, onnxruntime.__version__],
        "openvino": openvino.__version__,
        "window": [encoder.prefix, encoder.max_length, encoder.stride, encoder.normalize],
        "probes": PROBE_FILES,
    }
    folder = Path(location)
    if folder.is_dir():
        parts["weights"] = [
            (p.name, p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.iterdir())
            if p.suffix in {".safetensors", ".bin", ".json", ".sha256"}
        ]
    else:
        parts["weights"] = location
    digest.update(json.dumps(parts, sort_keys=True).encode())
    if adapter is not None:
        digest.update(adapter.read_bytes())
    return digest.hexdigest()[:24]


def built_files(cache_dir: Path, key: str) -> EngineFiles | None:
    """The engine files for `key` if they are built (marked as used now, so that
    `prune_files` keeps them), else None."""
    folder = cache_dir / "engines" / key
    if not (folder / "build.json").is_file():
        return None
    with contextlib.suppress(OSError):
        os.utime(folder / "build.json")
    return EngineFiles(folder)


def prepare_files(
    cache_dir: Path, key: str, torch_encoder: Callable[[], TextEncoder]
) -> EngineFiles:
    """The engine files for `key`, built now from `torch_encoder()` (the served model, its
    adapter merged) if they are not there yet."""
    files = built_files(cache_dir, key)
    if files is not None:
        return files
    folder = cache_dir / "engines" / key
    started = time.perf_counter()
    encoder = torch_encoder()
    if encoder.model is None:
        raise ModelLoadError("building the engine files needs the encoder's weights")
    building = folder.with_name(f".{key}.{os.getpid()}.building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    try:
        with _quiet("onnxruntime", "onnx_model", "fusion_base", "fusion_utils", "onnx_model_bert"):
            timings = _build(encoder, building)
        timings["total_seconds"] = round(time.perf_counter() - started, 1)
        timings["process"] = os.getpid()
        (building / "build.json").write_text(json.dumps(timings, indent=2))
        folder.parent.mkdir(parents=True, exist_ok=True)
        replace_directory(building, folder)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    logger.info("built the engine files in %.0f s: %s", time.perf_counter() - started, timings)
    prune_files(folder.parent)
    return EngineFiles(folder)


def prune_files(engines_dir: Path, keep: int = KEEP_FILES) -> list[str]:
    """Remove all but the `keep` most recently used engine folders (a promoted version's
    files take about 850 MB for the default model), and building folders a killed process
    left behind. Returns the names removed."""
    now = time.time()
    used: list[tuple[float, Path]] = []
    removed: list[str] = []
    for path in engines_dir.iterdir() if engines_dir.is_dir() else ():
        if not path.is_dir():
            continue
        marker = path / "build.json"
        if path.name.startswith("."):
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime > STALE_BUILD_SECONDS:
                    shutil.rmtree(path, ignore_errors=True)
                    removed.append(path.name)
        elif marker.is_file():
            used.append((marker.stat().st_mtime, path))
    for _, path in sorted(used, reverse=True)[keep:]:
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    if removed:
        logger.info("removed %d engine folders no longer used: %s", len(removed), removed)
    return removed


def _build(encoder: TextEncoder, folder: Path) -> dict[str, Any]:
    timings: dict[str, Any] = {}
    started = time.perf_counter()
    texts = probe_texts()
    reference = encoder.embed_windows(texts).vectors  # also torch's warm-up
    np.savez(folder / "reference.npz", vectors=reference)
    started = _lap(timings, "reference_seconds", started)
    # Torch's time for `choose`, so that "auto" need not read the torch weights to time it.
    import torch

    timings["torch_probe_seconds"] = probe_seconds(encoder, texts)
    timings["torch_threads"] = torch.get_num_threads()
    started = time.perf_counter()
    export_onnx(encoder, folder / "encoder.onnx")
    started = _lap(timings, "export_seconds", started)
    quantize_int8(folder / "encoder.onnx", folder / "encoder-int8.onnx", encoder)
    _lap(timings, "int8_seconds", started)
    return timings


@contextlib.contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Keep the exporters' loggers (a line per fused or quantised node) to warnings."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [each.level for each in loggers]
    for each in loggers:
        each.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for each, level in zip(loggers, levels, strict=True):
            each.setLevel(level)


def _lap(timings: dict[str, Any], name: str, started: float) -> float:
    now = time.perf_counter()
    timings[name] = round(now - started, 1)
    return now


def export_onnx(encoder: TextEncoder, path: Path) -> None:
    """Export the encoder's torch model (ids and mask in, last hidden states out; batch and
    length dynamic) with its attention written out ("eager"): the form ONNX Runtime's and
    OpenVINO's attention fusions recognise (the default SDPA form fused nothing)."""
    import warnings

    import torch

    model = encoder.weights
    config: Any = model.config
    attention = getattr(config, "_attn_implementation", None)

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids, mask = encoder.model_inputs([encoder.filler_window(12), encoder.filler_window(9)])
    config._attn_implementation = "eager"
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHidden().eval(),
                (torch.from_numpy(ids), torch.from_numpy(mask)),
                str(path),
                input_names=["input_ids", "attention_mask"],
                output_names=["hidden"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "length"},
                    "attention_mask": {0: "batch", 1: "length"},
                    "hidden": {0: "batch", 1: "length"},
                },
                opset_version=17,
                dynamo=False,
            )
    finally:
        config._attn_implementation = attention


def quantize_int8(source: Path, dest: Path, encoder: TextEncoder) -> None:
    """`source` through ONNX Runtime's transformer optimiser (fused attention, layer norms,
    GELU), then its MatMuls as 8-bit MatMulNBits (see the module docstring)."""
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig,
        MatMulNBitsQuantizer,
    )
    from onnxruntime.quantization.quant_utils import QuantFormat
    from onnxruntime.transformers import optimizer

    config: Any = encoder.weights.config
    fused = optimizer.optimize_model(
        str(source),
        model_type="bert",
        num_heads=int(config.num_attention_heads),
        hidden_size=int(config.hidden_size),
        opt_level=1,
        use_gpu=False,
    )
    quantizer = MatMulNBitsQuantizer(
        fused.model,
        algo_config=DefaultWeightOnlyQuantConfig(
            block_size=32,
            is_symmetric=True,
            accuracy_level=4,
            quant_format=QuantFormat.QOperator,
            op_types_to_quantize=("MatMul",),
            bits=8,
        ),
    )
    quantizer.process()
    quantizer.model.save_model_to_file(str(dest), use_external_data_format=False)
    del fused, quantizer
    onnx.checker.check_model(str(dest))


def open_engine(name: str, files: EngineFiles | None, threads: int, torch_model: Any) -> Engine:
    """Load engine `name` (`ENGINES`)."""
    if name == "torch":
        if torch_model is None:
            raise ModelLoadError("the torch engine needs the encoder's weights")
        return TorchEngine(torch_model)
    if files is None:
        raise ModelLoadError(f"engine {name} needs its built files")
    if name == "onnxruntime":
        return OnnxRuntimeEngine(name, files.onnx, threads)
    if name == "onnxruntime-int8":
        return OnnxRuntimeEngine(name, files.onnx_int8, threads)
    if name == "openvino":
        return OpenVinoEngine(name, files.onnx, threads, "f32")
    if name == "openvino-bf16":
        return OpenVinoEngine(name, files.onnx, threads, "bf16")
    raise ModelLoadError(f"engine must be one of {', '.join(SETTINGS)}, not {name!r}")


@dataclass(frozen=True)
class Candidate:
    """One engine as `choose` found it."""

    engine: str
    #: Seconds for the probe texts (best of `TIMED_ROUNDS`); None if it was refused first.
    probe_seconds: float | None = None
    min_cosine: float | None = None
    label_agreement: float | None = None
    refused: str | None = None
    #: When `probe_seconds` was measured: "start-up", or "build" (torch, by `prepare_files`,
    #: when it was clearly slower than an exported engine: its weights were not read).
    timed_at: str = "start-up"


@dataclass(frozen=True)
class EngineReport:
    """Which engine serves, how it was chosen, and what every candidate measured."""

    engine: str
    chosen_by: str  # "auto" or "setting"
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)
    files_build_seconds: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


TIMED_ROUNDS = 2


def check(
    encoder: TextEncoder,
    engine: Engine,
    reference: npt.NDArray[np.float32],
    labels_of: Callable[[npt.NDArray[np.float32]], npt.NDArray[np.int64]],
    *,
    timed: bool,
) -> Candidate:
    """Read the probe texts with `engine` (on `encoder`), compare them with `reference`,
    and time them (`timed`)."""
    texts = probe_texts()
    serving = encoder.engine
    encoder.engine = engine
    try:
        return _check(encoder, engine, reference, labels_of, texts, timed=timed)
    finally:
        encoder.engine = serving


def _check(
    encoder: TextEncoder,
    engine: Engine,
    reference: npt.NDArray[np.float32],
    labels_of: Callable[[npt.NDArray[np.float32]], npt.NDArray[np.int64]],
    texts: list[str],
    *,
    timed: bool,
) -> Candidate:
    got = encoder.embed_windows(texts).vectors  # also the warm-up
    if got.shape != reference.shape:
        return Candidate(
            engine.name, refused=f"{got.shape[0]} windows, reference {reference.shape[0]}"
        )
    cosine = float(np.min(np.sum(unit_rows(got) * unit_rows(reference), axis=1)))
    agreement = float(np.mean(labels_of(got) == labels_of(reference)))
    refused = None
    if engine.name == "torch":
        pass  # the reference itself: timed, never refused
    elif not cosine >= MIN_COSINE:
        refused = f"window cosine {cosine:.4f} < {MIN_COSINE}"
    elif not agreement >= MIN_AGREEMENT:
        refused = f"label agreement {agreement:.3f} < {MIN_AGREEMENT}"
    seconds = None
    if timed and refused is None:
        seconds = probe_seconds(encoder, texts)
    return Candidate(
        engine.name,
        probe_seconds=seconds,
        min_cosine=round(cosine, 5),
        label_agreement=round(agreement, 4),
        refused=refused,
    )


def probe_seconds(encoder: TextEncoder, texts: list[str]) -> float:
    """Seconds `encoder` (on its engine, warmed up) takes for `texts`: best of `TIMED_ROUNDS`."""
    seconds = float("inf")
    for _ in range(TIMED_ROUNDS):
        started = time.perf_counter()
        encoder.embed_windows(texts)
        seconds = min(seconds, time.perf_counter() - started)
    return round(seconds, 4)


#: "auto" times torch at start-up only if the files' build timed it (with the same threads)
#: at most this much slower than the fastest exported engine: otherwise the build's time
#: stands and the torch weights are never read.
TORCH_MARGIN = 1.1


def choose(
    setting: str,
    encoder: TextEncoder,
    files: EngineFiles | None,
    *,
    threads: int,
    torch_model: Callable[[], Any],
    labels_of: Callable[[npt.NDArray[np.float32]], npt.NDArray[np.int64]],
    candidates: Sequence[str] = ENGINES,
) -> tuple[Engine, EngineReport]:
    """The engine to serve (set on `encoder`) and the report of how it was chosen.

    A set engine (not "auto") is still checked against the reference and refused if it
    drifts (`ModelLoadError`). "auto" checks and times the exported engines among
    `candidates`, then torch: `torch_model()` (which reads the encoder's weights) is called
    only when torch could win, that is when no exported engine passed, or the build did
    not time torch with `threads`, or timed it within `TORCH_MARGIN` of the fastest.
    """
    if setting not in SETTINGS:
        raise ModelLoadError(f"engine must be one of {', '.join(SETTINGS)}, not {setting!r}")
    info = files.build_info() if files is not None else {}
    build = info.get("total_seconds")
    reference = files.reference() if files is not None else None
    if setting != "auto":
        engine = open_engine(setting, files, threads, torch_model() if setting == "torch" else None)
        if reference is None or setting == "torch":
            found = Candidate(setting)
        else:
            found = check(encoder, engine, reference, labels_of, timed=False)
        if found.refused:
            engine.close()
            raise ModelLoadError(f"engine {setting} refused: {found.refused}")
        encoder.engine = engine
        return engine, EngineReport(setting, "setting", (found,), build)
    if reference is None:
        raise ModelLoadError("engine auto needs the engine files")
    found_all: dict[str, Candidate] = {}
    best: Engine | None = None
    best_seconds = float("inf")

    def consider(name: str, weights: Any = None) -> None:
        nonlocal best, best_seconds
        try:
            engine = open_engine(name, files, threads, weights)
            found = check(encoder, engine, reference, labels_of, timed=True)
        except Exception as error:  # an engine that cannot run here is left out, not fatal
            logger.warning("engine %s unavailable: %s", name, error)
            found_all[name] = Candidate(name, refused=f"{type(error).__name__}: {error}"[:300])
            return
        found_all[name] = found
        seconds = found.probe_seconds
        if found.refused is None and seconds is not None and seconds < best_seconds:
            if best is not None:
                best.close()
            best, best_seconds = engine, seconds
        else:
            engine.close()

    for name in candidates:
        if name == "torch" or (name == "openvino-bf16" and not cpu_has_bf16()):
            continue
        consider(name)
    if "torch" in candidates:
        built = info.get("torch_probe_seconds") if info.get("torch_threads") == threads else None
        if best is not None and built is not None and built > best_seconds * TORCH_MARGIN:
            found_all["torch"] = Candidate("torch", probe_seconds=built, timed_at="build")
        else:
            try:
                weights = torch_model()
            except Exception as error:
                logger.warning("engine torch unavailable: %s", error)
                found_all["torch"] = Candidate("torch", refused=f"{type(error).__name__}: {error}")
            else:
                consider("torch", weights)
    if best is None:
        raise ModelLoadError(f"no engine passed its check: {list(found_all.values())}")
    encoder.engine = best
    release_memory()
    ordered = tuple(found_all[name] for name in candidates if name in found_all)
    report = EngineReport(best.name, "auto", ordered, build)
    logger.info(
        "engine %s serves (%s)",
        best.name,
        "; ".join(
            f"{c.engine}: {c.refused or f'{c.probe_seconds:.3f} s ({c.timed_at})'}" for c in ordered
        ),
    )
    return best, report


def cpu_has_bf16() -> bool:
    """True where the CPU multiplies bfloat16 natively (AVX512-BF16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def release_memory() -> None:
    """Hand memory freed by closed engines back to the system."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
