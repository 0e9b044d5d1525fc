"""Threshold learning, replayed: a labelled stream through the real service, people simulated.

Runs the real app in-process on a throwaway SQLite database (the real model, or with
`--double` the keyword test double), and posts a shuffled labelled stream to
`POST /v1/reviews/batch` without language hints (a rating where the file has one). People
are simulated from the file labels: the agent claims and resolves every queue item through
the real queue with its true label (mixed -> negative: it holds a complaint), and a trainer
spot-checks the auto-handled reviews the existing sampling rule picks
(`triage.storage.sampling.in_sample`, TRIAGE_SPOT_CHECK_SHARE) through the UI's label form, which
tightens a threshold at once when it finds a miss. After each batch the background loop's
threshold step runs. Every `--every` reviews it records the automation rate, the
spot-check estimate of the negative-miss rate (the dashboard's, 95% Wilson), the true miss
rate (auto-handled reviews whose file label is negative or mixed) and the thresholds.

    python -m bench.threshold_replay --out var/replay [--double] [--limit 300]
        [--seed 7] [--every 100] [FILE.jsonl ...]

Default stream: `models/datasets/hotel_reviews/*_test.jsonl` and, when `../shared/data`
exists, `eval/en_hotel_opspam_truthful.jsonl` and `eval/de_opener_attraction.jsonl`.
Writes `replay.csv`, `replay.json` and `replay.png` into `--out`.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from models import SentimentClassifier
from models.double import KeywordClassifier
from service import background
from service.app import create_app
from service.model_loading import load_classifier
from triage.access import accounts
from triage.core.settings import Settings
from triage.decisions import threshold_views
from triage.learning.trainer_queues import negative_miss_estimate
from triage.storage.db import make_engine, make_session_factory, unit_of_work
from triage.storage.migrate import upgrade
from triage.storage.sampling import in_sample

ROOT = Path(__file__).resolve().parents[1]
HOTEL = ROOT / "models" / "datasets" / "hotel_reviews"
SHARED = ROOT.parent / "shared" / "data"
EVAL = ("eval/en_hotel_opspam_truthful.jsonl", "eval/de_opener_attraction.jsonl")
PROPERTY = "replay-hotel"
PASSWORD = "replay-password-1"
MUST_SEE = {"negative", "mixed"}
VERDICT = {"negative": "negative", "mixed": "negative", "neutral": "neutral"}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def default_files() -> list[Path]:
    files = sorted(HOTEL.glob("*_test.jsonl"))
    if SHARED.is_dir():
        files += [SHARED / name for name in EVAL if (SHARED / name).is_file()]
    return files


def read_stream(files: list[Path], seed: int, limit: int | None) -> list[dict[str, Any]]:
    rows = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row.get("label") in {"negative", "mixed", "neutral", "positive"}:
                    rows.append(row)
    random.Random(seed).shuffle(rows)
    return rows[:limit] if limit else rows


def _review(i: int, row: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "property_id": PROPERTY,
        "external_id": f"replay-{i}",
        "source": "survey",
        "text": row["text"],
    }
    if isinstance(row.get("rating_1_9"), int | float):
        body["rating"] = {"value": row["rating_1_9"], "scale": 9}
    return body


def _sign_in(client: TestClient, email: str) -> str:
    form = client.get("/ui/signin")
    token = CSRF.search(form.text)
    assert token is not None
    done = client.post(
        "/ui/signin",
        data={"email": email, "password": PASSWORD, "csrf": token.group(1)},
        follow_redirects=False,
    )
    if done.status_code != 303:
        raise RuntimeError(f"signing in failed: {done.status_code}")
    page = client.get("/ui/queue")
    found = CSRF.search(page.text)
    assert found is not None
    return found.group(1)


def replay(
    rows: list[dict[str, Any]],
    classifier: SentimentClassifier,
    *,
    every: int,
    batch: int,
    settings_overrides: dict[str, Any],
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'replay.db'}"
        engine = make_engine(url)
        upgrade(engine)
        with unit_of_work(make_session_factory(engine)) as s:
            accounts.add_property(s, PROPERTY, "Replay Hotel")
            key = accounts.create_api_key(s, "bench", [PROPERTY])[1]
            accounts.add_user(s, "bench", "agent@replay.example", PASSWORD, "agent", [PROPERTY])
            accounts.add_user(s, "bench", "trainer@replay.example", PASSWORD, "trainer", [PROPERTY])
            agent = accounts.create_user_token(s, "bench", "agent@replay.example")[1]
        engine.dispose()
        settings = Settings(
            database_url=url,
            data_dir=Path(tmp),
            load_model=False,
            threshold_interval_seconds=86_400,  # the replay runs the loop's step itself
            rate_limit_per_minute=0,
            **settings_overrides,
        )
        app = create_app(settings, classifier=classifier)
        with TestClient(app) as client:
            svc = app.state.services
            learn = background.learn_thresholds(svc)
            csrf = _sign_in(client, "trainer@replay.example")
            return _run(client, svc, learn, rows, key, agent, csrf, every, batch)


def _run(
    client: TestClient,
    svc: Any,
    learn: Any,
    rows: list[dict[str, Any]],
    key: str,
    agent: str,
    csrf: str,
    every: int,
    batch: int,
) -> dict[str, Any]:
    share = svc.settings.spot_check_share
    truth: dict[int, str] = {}
    auto: list[tuple[int, bool]] = []  # (review id, must-see) of auto-handled reviews
    checkpoints: list[dict[str, Any]] = []
    started = time.perf_counter()
    window_start = 0
    window_auto = window_missed = 0
    for first in range(0, len(rows), batch):
        chunk = rows[first : first + batch]
        answer = client.post(
            "/v1/reviews/batch",
            headers={"Authorization": f"Bearer {key}"},
            json={"reviews": [_review(first + i, r) for i, r in enumerate(chunk)]},
        )
        answer.raise_for_status()
        for row, result in zip(chunk, answer.json()["results"], strict=True):
            review = result["review"]
            truth[review["id"]] = row["label"]
            if review["route"] == "auto":
                missed = row["label"] in MUST_SEE
                auto.append((review["id"], missed))
                window_auto += 1
                window_missed += missed
                if in_sample(review["id"], share, "spot_check"):
                    # the trainer's spot-check, through the UI's form
                    checked = client.post(
                        "/ui/train/label",
                        data={
                            "review_id": str(review["id"]),
                            "label": VERDICT.get(row["label"], "positive"),
                            "kind": "spot_check",
                            "back": "/ui/train/spot",
                            "csrf": csrf,
                        },
                        follow_redirects=False,
                    )
                    if checked.status_code != 303:
                        raise RuntimeError(f"spot-check refused: {checked.status_code}")
        _work_queue(client, agent, truth)
        learn()
        done = first + len(chunk)
        if done - window_start >= every or done == len(rows):
            checkpoints.append(
                _checkpoint(svc, done, auto, window_auto, window_missed, done - window_start)
            )
            window_start, window_auto, window_missed = done, 0, 0
    return {
        "reviews": len(rows),
        "seconds": round(time.perf_counter() - started, 1),
        "model_version": svc.model.current.info.version if svc.model.current else None,
        "target": svc.settings.miss_rate_target,
        "confidence": svc.settings.threshold_confidence,
        "spot_check_share": share,
        "checkpoints": checkpoints,
        "threshold_changes": _changes(svc),
    }


def _work_queue(client: TestClient, agent: str, truth: dict[int, str]) -> None:
    headers = {"Authorization": f"Bearer {agent}"}
    while True:
        claimed = client.post("/v1/queue/claim", headers=headers, json={})
        if claimed.status_code == 204:
            return
        claimed.raise_for_status()
        body = claimed.json()
        label = VERDICT.get(truth[body["id"]], "positive")
        client.post(
            f"/v1/queue/{body['queue']['item_id']}/resolve",
            headers=headers,
            json={"label": label, "action": "no_action"},
        ).raise_for_status()


def _checkpoint(
    svc: Any,
    done: int,
    auto: list[tuple[int, bool]],
    window_auto: int,
    window_missed: int,
    window: int,
) -> dict[str, Any]:
    with unit_of_work(svc.sessions) as s:
        estimate = negative_miss_estimate(s, [PROPERTY], share=svc.settings.spot_check_share)
        views = threshold_views.views(s, [PROPERTY], svc.model.current)
    missed = sum(m for _, m in auto)
    point: dict[str, Any] = {
        "reviews": done,
        "auto": len(auto),
        "automation": len(auto) / done,
        "automation_window": window_auto / window if window else None,
        "true_miss_rate": missed / len(auto) if auto else None,
        "true_miss_rate_window": window_missed / window_auto if window_auto else None,
        "missed": missed,
        "spot_checks": estimate.n,
        "estimated_miss_rate": estimate.rate,
        "estimated_miss_high": estimate.high,
    }
    for view in views:
        name = f"{view.language}_{view.group}"
        point[f"threshold_{name}"] = round(view.value, 4)
        point[f"source_{name}"] = view.source
        point[f"upper_{name}"] = view.upper
    return point


def _changes(svc: Any) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from triage.storage.tables import AuditEvent

    with unit_of_work(svc.sessions) as s:
        return [
            {"at": e.at.isoformat(), **(e.details or {})}
            for e in s.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "threshold.learned")
                .order_by(AuditEvent.id)
            )
        ]


def write(result: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "replay.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    points = result["checkpoints"]
    fields = sorted({k for p in points for k in p}, key=lambda k: (k != "reviews", k))
    with (out / "replay.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(points)
    plot(result, out / "replay.png")


def plot(result: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = result["checkpoints"]
    x = [p["reviews"] for p in points]

    def series(name: str) -> list[float]:
        return [float("nan") if p.get(name) is None else p[name] for p in points]

    figure, (top, middle, bottom) = plt.subplots(3, 1, figsize=(7.5, 8.5), dpi=120, sharex=True)
    top.plot(x, series("automation"), label="handled automatically (cumulative)")
    top.plot(x, series("automation_window"), ls="--", label="in the last window")
    top.set_ylabel("automation")
    top.set_ylim(0, 1)
    top.legend(fontsize=7)
    middle.plot(x, series("true_miss_rate"), label="true miss rate (file labels)")
    middle.plot(x, series("estimated_miss_rate"), label="spot-check estimate")
    middle.fill_between(
        x,
        [0.0] * len(x),
        series("estimated_miss_high"),
        alpha=0.15,
        label="spot-check 95% upper",
    )
    middle.axhline(result["target"], color="red", lw=0.8, ls=":", label="target")
    middle.set_ylabel("negative-miss rate")
    middle.legend(fontsize=7)
    for name in sorted(
        {k[len("threshold_") :] for p in points for k in p if k.startswith("threshold_")}
    ):
        bottom.step(x, series(f"threshold_{name}"), where="post", label=name)
    bottom.set_ylabel("threshold in force")
    bottom.set_xlabel("reviews posted")
    bottom.legend(fontsize=7)
    figure.suptitle(
        f"Threshold learning replay: {result['model_version']}, target "
        f"{result['target']:.0%} at {result['confidence']:.0%}",
        fontsize=9,
    )
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="labelled JSONL (text, label)")
    parser.add_argument("--out", type=Path, required=True, help="folder for csv, json, png")
    parser.add_argument("--double", action="store_true", help="the keyword test double")
    parser.add_argument("--model", type=Path, default=None, help="a model directory")
    parser.add_argument("--limit", type=int, default=None, help="at most this many reviews")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--every", type=int, default=100, help="reviews per checkpoint")
    parser.add_argument("--batch", type=int, default=25, help="reviews per ingest batch")
    parser.add_argument("--target", type=float, default=None, help="TRIAGE_MISS_RATE_TARGET")
    parser.add_argument("--confidence", type=float, default=None)
    parser.add_argument("--spot-check-share", type=float, default=None)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    overrides: dict[str, Any] = {}
    if args.target is not None:
        overrides["miss_rate_target"] = args.target
    if args.confidence is not None:
        overrides["threshold_confidence"] = args.confidence
    if args.spot_check_share is not None:
        overrides["spot_check_share"] = args.spot_check_share
    rows = read_stream(args.files or default_files(), args.seed, args.limit)
    classifier: SentimentClassifier
    if args.double:
        classifier = KeywordClassifier()
    else:
        classifier = load_classifier(
            Settings(model_threads=args.threads),
            args.model,
        )
    try:
        result = replay(
            rows, classifier, every=args.every, batch=args.batch, settings_overrides=overrides
        )
    finally:
        close = getattr(classifier, "close", None)
        if callable(close):
            close()
    write(result, args.out)
    last = result["checkpoints"][-1]
    print(
        f"{result['reviews']} reviews in {result['seconds']} s with {result['model_version']}: "
        f"automation {last['automation']:.1%}, true miss rate "
        f"{(last['true_miss_rate'] or 0):.2%} ({last['missed']} of {last['auto']}), "
        f"spot-check estimate {(last['estimated_miss_rate'] or 0):.2%} "
        f"({last['spot_checks']} checks), {len(result['threshold_changes'])} threshold changes"
    )
    for key in sorted(k for k in last if k.startswith("threshold_")):
        name = key[len("threshold_") :]
        print(f"  {name:<14} {last[key]:.4f} ({last[f'source_{name}']})")
    print(f"written to {args.out}/replay.csv, replay.json, replay.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
