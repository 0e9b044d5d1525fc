"""The trainers' workspace and the model pages through the real app on SQLite and
PostgreSQL: roles, scoping, blindness, every action's effect on the database, audit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.double import KeywordClassifier
from service.app import create_app
from tests.conftest import World, make_settings
from tests.review_ui.helpers import COMPLAINT, PRAISE, ingest, post, sign_in
from triage.learning import registry
from triage.storage.db import unit_of_work
from triage.storage.tables import AuditEvent, Label, ModelVersion

TRAINER_PAGES = (
    "/ui/train",
    "/ui/train/spot-checks",
    "/ui/train/uncertain",
    "/ui/train/uncertain?strategy=entropy",
    "/ui/train/disagreements",
    "/ui/train/adjudicate",
    "/ui/train/agreement",
    "/ui/models",
)
FORMS = re.compile(r"<form.*?</form>", re.S)


@pytest.fixture
def client(database_url: str, tmp_path: Path, world: World) -> Iterator[TestClient]:
    """Every review in the spot-check and double-label samples, so tests choose them."""
    settings = make_settings(database_url, tmp_path, spot_check_share=1.0, double_label_share=1.0)
    app = create_app(settings, classifier=KeywordClassifier())
    with TestClient(app) as test_client:
        yield test_client


def labels(sessions: sessionmaker[Session]) -> list[Label]:
    with unit_of_work(sessions) as s:
        return list(s.scalars(select(Label).order_by(Label.id)))


def actions(sessions: sessionmaker[Session]) -> list[str]:
    with unit_of_work(sessions) as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def resolve_next(client: TestClient, csrf: str, label: str, note: str = "") -> int:
    taken = post(client, "/ui/queue/next", csrf)
    item_id = int(taken.headers["location"].rsplit("/", 1)[1])
    done = post(
        client, f"/ui/items/{item_id}/resolve", csrf, label=label, action="replied", note=note
    )
    assert done.status_code == 303, done.text
    return item_id


def label_form(
    client: TestClient, csrf: str, review_id: int, kind: str, back: str, **extra: str
) -> Any:
    return post(
        client,
        "/ui/train/label",
        csrf,
        review_id=str(review_id),
        kind=kind,
        back=back,
        **extra,
    )


def test_trainer_pages_render_and_agents_get_403(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ingest(client, world, "p1", PRAISE)
    ingest(client, world, "c1", COMPLAINT)
    sign_in(client, "agent.a@example.com")
    for page in (*TRAINER_PAGES, "/ui/audit"):
        response = client.get(page)
        assert response.status_code == 403, page
        assert "Not allowed" in response.text
    double = client.get("/ui/train/double")
    assert double.status_code == 200 and "Double labels" in double.text
    assert 'href="/ui/train"' not in client.get("/ui/queue").text  # no Train entry

    sign_in(client, "trainer.a@example.com")
    assert 'href="/ui/train"' in client.get("/ui/queue").text
    for page in TRAINER_PAGES:
        response = client.get(page)
        assert response.status_code == 200, page
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert client.get("/ui/audit").status_code == 403  # admins only
    overview = client.get("/ui/train").text
    assert "Negative-miss estimate" in overview and "no spot-checks yet" in overview


def test_spot_check_stores_a_label_with_provenance_and_the_next_one_shows(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    first = ingest(client, world, "p1", PRAISE)
    second = ingest(client, world, "p2", "Lovely <b>pool</b> and a great view, friendly staff.")
    ingest(client, world, "other", PRAISE, property_id="hotel-b")  # not hotel-a's trainer's
    csrf = sign_in(client, "trainer.a@example.com")
    page = client.get("/ui/train/spot-checks").text
    assert PRAISE in page and "Lovely &lt;b&gt;pool&lt;/b&gt;" in page
    assert page.count('name="kind" value="spot_check"') == 2  # not hotel-b's review
    assert "% sure" in page  # the model's label and probability

    done = label_form(client, csrf, second, "spot_check", "/ui/train/spot-checks", label="negative")
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/train/spot-checks?msg=labelled"
    [row] = labels(sessions)
    assert (row.review_id, row.label, row.kind, row.role) == (
        second,
        "negative",
        "spot_check",
        "trainer",
    )
    assert row.user_id is not None and row.model_version and row.predicted_label == "positive"
    assert actions(sessions)[-1] == "label.spot_check"
    after = client.get(done.headers["location"]).text
    assert "Saved. Your label is recorded." in after
    assert after.count('name="kind" value="spot_check"') == 1
    assert f'name="review_id" value="{first}"' in after
    overview = client.get("/ui/train").text
    assert "100.0% (20.7%–100.0%), 1 spot-check<" in overview


def test_double_label_page_is_blind(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    review_id = ingest(client, world, "c1", COMPLAINT)
    agent = sign_in(client, "agent.a@example.com")
    resolve_next(client, agent, "neutral", note="Guest called back, calm now")
    assert client.get("/ui/train/double").text.count('name="kind"') == 0  # own review: not again

    csrf = sign_in(client, "trainer.a@example.com")
    page = client.get("/ui/train/double").text
    assert COMPLAINT in page and f'name="review_id" value="{review_id}"' in page
    outside_forms = FORMS.sub("", page)
    for shown_elsewhere in ("Neutral", "neutral", "Negative", "% sure", "calm now", "agent.a@"):
        assert shown_elsewhere not in outside_forms, shown_elsewhere
    assert "keyword" not in page  # no model version either

    done = label_form(client, csrf, review_id, "double_label", "/ui/train/double", label="negative")
    assert done.status_code == 303
    kinds = [(x.kind, x.label, x.role) for x in labels(sessions)]
    assert kinds == [("queue_verdict", "neutral", "agent"), ("double_label", "negative", "trainer")]
    assert 'name="kind"' not in client.get("/ui/train/double").text


def test_adjudication_with_gold_and_the_disagreement_leaves(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    review_id = ingest(client, world, "c1", COMPLAINT)
    resolve_next(client, sign_in(client, "agent.a@example.com"), "neutral")
    csrf = sign_in(client, "trainer.a@example.com")
    label_form(client, csrf, review_id, "double_label", "/ui/train/double", label="negative")

    page = client.get("/ui/train/adjudicate").text
    assert f'id="review-{review_id}"' in page
    assert "agent.a@example.com (agent)" in page and "trainer.a@example.com (trainer)" in page
    assert "queue verdict" in page and "double label" in page
    assert 'name="gold" value="1" checked' in page
    agreement = client.get("/ui/train/agreement").text
    assert "agent.a@example.com" in agreement and "trainer.a@example.com" in agreement

    done = label_form(
        client,
        csrf,
        review_id,
        "adjudication",
        "/ui/train/adjudicate",
        label="negative",
        gold="1",
        note="Dirty room: negative",
    )
    assert done.headers["location"] == "/ui/train/adjudicate?msg=adjudicated"
    last = labels(sessions)[-1]
    assert (last.kind, last.label, last.gold, last.note) == (
        "adjudication",
        "negative",
        True,
        "Dirty room: negative",
    )
    assert f'id="review-{review_id}"' not in client.get(done.headers["location"]).text
    assert actions(sessions)[-1] == "label.adjudication"


def test_relabel_from_the_review_page(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    review_id = ingest(client, world, "p1", PRAISE)
    agent = sign_in(client, "agent.a@example.com")
    page = client.get(f"/ui/reviews/{review_id}").text
    assert "No label yet." in page and 'value="relabel"' not in page  # agents cannot relabel

    csrf = sign_in(client, "trainer.a@example.com")
    back = f"/ui/reviews/{review_id}"
    done = label_form(client, csrf, review_id, "relabel", back, label="neutral")
    assert done.headers["location"] == f"{back}?msg=labelled"
    [row] = labels(sessions)
    assert (row.kind, row.label, row.role) == ("relabel", "neutral", "trainer")
    page = client.get(done.headers["location"]).text
    assert 'class="current"' in page and "trainer.a@example.com (trainer)" in page
    assert agent  # the agent's session was replaced by the trainer's
    off_site = label_form(
        client, csrf, review_id, "relabel", "https://evil.example/", label="neutral"
    )
    assert off_site.status_code == 422 and len(labels(sessions)) == 1


def test_a_label_form_without_the_csrf_token_is_refused(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    review_id = ingest(client, world, "p1", PRAISE)
    sign_in(client, "trainer.a@example.com")
    response = client.post(
        "/ui/train/label",
        data={
            "review_id": str(review_id),
            "kind": "spot_check",
            "label": "negative",
            "back": "/ui/train",
        },
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert labels(sessions) == []


def _versions(sessions: sessionmaker[Session]) -> dict[str, str]:
    with unit_of_work(sessions) as s:
        return {v.version: v.state for v in s.scalars(select(ModelVersion))}


def test_promote_refused_then_promote_rollback_and_shadow_through_the_ui(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    good = {
        "n": 40,
        "macro_f1": 0.81,
        "negative_miss_rate": 0.0,
        "accuracy": 0.85,
        "fingerprint": "abc",
    }
    with unit_of_work(sessions) as s:
        registry.register(s, "cli:test", "v1", "/models/v1", activate=True)
        registry.register(s, "cli:test", "v2", "/models/v2")
        registry.register(s, "cli:test", "v3", "/models/v3")
        registry.record_evaluation(s, "cli:test", "v1", {"gold": good})
        registry.record_evaluation(s, "cli:test", "v2", {"gold": {**good, "macro_f1": 0.7}})
        registry.record_evaluation(s, "cli:test", "v3", {"gold": {**good, "macro_f1": 0.9}})
    csrf = sign_in(client, "trainer.a@example.com")
    page = client.get("/ui/models").text
    assert "Active: v1" in page and "0.8100" in page and "Macro-F1" in page

    refused = post(client, "/ui/models/v2/promote", csrf)
    assert refused.status_code == 409
    assert "promotion refused: gold: macro-F1 drops from 0.8100 to 0.7000" in refused.text
    assert _versions(sessions) == {"v1": "active", "v2": "candidate", "v3": "candidate"}

    shadow = post(client, "/ui/models/v3/shadow", csrf, on="1")
    assert shadow.headers["location"] == "/ui/models?msg=shadow_on"
    with unit_of_work(sessions) as s:
        assert registry.get(s, "v3").shadow is True
    assert "Shadow v3 against the active model" in client.get("/ui/models").text

    promoted = post(client, "/ui/models/v3/promote", csrf)
    assert promoted.headers["location"] == "/ui/models?msg=promoted"
    assert _versions(sessions) == {"v1": "retired", "v2": "candidate", "v3": "active"}
    forced = post(client, "/ui/models/v2/promote", csrf, force_reason="hotfix for a bug")
    assert forced.status_code == 303
    assert _versions(sessions)["v2"] == "active"

    no_reason = post(client, "/ui/models/rollback", csrf, reason="")
    assert no_reason.status_code == 422
    back = post(client, "/ui/models/rollback", csrf, reason="v2 misses complaints")
    assert back.headers["location"] == "/ui/models?msg=rolled_back"
    assert _versions(sessions) == {"v1": "retired", "v2": "retired", "v3": "active"}

    sign_in(client, "admin@example.com")
    audit_page = client.get("/ui/audit")
    assert audit_page.status_code == 200
    for action in ("sign_in", "model.promote", "model.rollback", "model.shadow_on"):
        assert f"<td>{action}</td>" in audit_page.text, action
    assert "trainer.a@example.com" in audit_page.text and "hotfix for a bug" in audit_page.text


def test_sign_ins_verdicts_and_failures_are_audited(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ingest(client, world, "c1", COMPLAINT)
    form = client.get("/ui/signin").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token
    client.post(
        "/ui/signin",
        data={"email": "Agent.A@example.com", "password": "wrong", "csrf": token.group(1)},
    )
    resolve_next(client, sign_in(client, "agent.a@example.com"), "negative")
    with unit_of_work(sessions) as s:
        events = [
            (e.action, e.actor, e.subject)
            for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]
    assert ("sign_in_failed", "web", "agent.a@example.com") in events
    assert ("sign_in", "agent.a@example.com", None) in events
    assert events[-1][0] == "queue.resolve"


def test_the_dashboard_shows_the_negative_miss_estimate(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    review_id = ingest(client, world, "p1", PRAISE)
    csrf = sign_in(client, "trainer.a@example.com")
    label_form(client, csrf, review_id, "spot_check", "/ui/train/spot-checks", label="positive")
    page = client.get("/ui/dashboard?days=7").text
    assert "Negative-miss estimate" in page
    assert "0.0% (0.0%–79.3%), 1 spot-check<" in page
    assert 'class="chart interval"' in page
