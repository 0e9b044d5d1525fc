"""Figure 3: claim-next and queue-listing latency as the tables grow, with query plans.

Rows are bulk-loaded in SQL (PostgreSQL `generate_series`, SQLite a recursive
CTE) after the real migrations: 20 properties; one review in ten auto-handled,
the rest queued; of the queue items a fifth still open, the rest resolved (a
queue that has been worked for a while), then VACUUM ANALYZE on PostgreSQL (what
autovacuum does after such a load). The claims and listings go through
the domain functions (`triage.casework.queue.claim_next` / `list_queue`) as an agent of
three properties, each in its own unit of work. The plans are the database's
EXPLAIN of the very statements those calls sent.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from triage.access.accounts import Principal
from triage.casework.queue import QueueFilter, claim_next, list_queue
from triage.storage import migrate
from triage.storage.db import make_engine, make_session_factory, unit_of_work
from triage.storage.tables import Property, User

PROPERTIES = 20
AGENT_PROPERTIES = frozenset({"bench-00", "bench-01", "bench-02"})

_REVIEWS_PG = """
INSERT INTO reviews (id, property_id, source, external_id, text, received_at, status, language,
                     route, priority, due_at, sentiment_label, model_version, routed_at)
SELECT g, 'bench-' || lpad((g % {props})::text, 2, '0'), 'other', 'bench-' || g,
       'Synthetic review ' || g, now() - g * interval '1 second',
       CASE WHEN g % 10 = 0 THEN 'auto_handled' ELSE 'queued' END, 'en',
       CASE WHEN g % 10 = 0 THEN 'auto' ELSE 'human' END, 1 + g % 3,
       now() + (g % 5000) * interval '1 minute', 'negative', 'bench', now()
FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) AS g
"""
_ITEMS_PG = """
INSERT INTO queue_items (id, review_id, property_id, state, priority, due_at, created_at)
SELECT g, g, 'bench-' || lpad((g % {props})::text, 2, '0'),
       CASE WHEN g % 5 = 1 THEN 'open' ELSE 'resolved' END, 1 + g % 3,
       now() + (g % 5000) * interval '1 minute', now() - g * interval '1 second'
FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) AS g WHERE g % 10 <> 0
"""
_SERIES_SQLITE = "WITH RECURSIVE s(g) AS (SELECT :lo UNION ALL SELECT g + 1 FROM s WHERE g < :hi) "
_REVIEWS_SQLITE = (
    _SERIES_SQLITE
    + """
INSERT INTO reviews (id, property_id, source, external_id, text, received_at, status, language,
                     route, priority, due_at, sentiment_label, model_version, routed_at)
SELECT g, 'bench-' || substr('0' || (g % {props}), -2), 'other', 'bench-' || g,
       'Synthetic review ' || g, strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || g || ' seconds'),
       CASE WHEN g % 10 = 0 THEN 'auto_handled' ELSE 'queued' END, 'en',
       CASE WHEN g % 10 = 0 THEN 'auto' ELSE 'human' END, 1 + g % 3,
       strftime('%Y-%m-%d %H:%M:%f', 'now', '+' || (g % 5000) || ' minutes'), 'negative',
       'bench', strftime('%Y-%m-%d %H:%M:%f', 'now')
FROM s
"""
)
_ITEMS_SQLITE = (
    _SERIES_SQLITE
    + """
INSERT INTO queue_items (id, review_id, property_id, state, priority, due_at, created_at)
SELECT g, g, 'bench-' || substr('0' || (g % {props}), -2),
       CASE WHEN g % 5 = 1 THEN 'open' ELSE 'resolved' END, 1 + g % 3,
       strftime('%Y-%m-%d %H:%M:%f', 'now', '+' || (g % 5000) || ' minutes'),
       strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || g || ' seconds')
FROM s WHERE g % 10 <> 0
"""
)


def prepare(sessions: sessionmaker[Session]) -> Principal:
    """The properties and an agent (no password: a principal is built directly)."""
    with unit_of_work(sessions) as s:
        for i in range(PROPERTIES):
            s.add(Property(id=f"bench-{i:02d}", name=f"Bench hotel {i:02d}"))
        agent = User(email="bench.agent@example.com", password_hash="!", role="agent")
        s.add(agent)
        s.flush()
        agent_id = agent.id
    return Principal(kind="user", id=agent_id, role="agent", property_ids=AGENT_PROPERTIES)


def bulk_load(engine: Engine, lo: int, hi: int) -> None:
    """Reviews (and their queue items) with ids `lo..hi`, then fresh planner statistics
    (on PostgreSQL a VACUUM too)."""
    postgres = engine.dialect.name == "postgresql"
    reviews, items = (_REVIEWS_PG, _ITEMS_PG) if postgres else (_REVIEWS_SQLITE, _ITEMS_SQLITE)
    # SQLite's recursion is capped by nothing but memory; load in slices all the same.
    step = hi - lo + 1 if postgres else 50_000
    with engine.begin() as conn:
        for start in range(lo, hi + 1, step):
            end = min(hi, start + step - 1)
            conn.execute(text(reviews.format(props=PROPERTIES)), {"lo": start, "hi": end})
            conn.execute(text(items.format(props=PROPERTIES)), {"lo": start, "hi": end})
        if postgres:
            for table in ("reviews", "queue_items"):
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :n)"), {"n": hi}
                )
    if postgres:
        # VACUUM as autovacuum would after such a load (the test server runs without it):
        # it also sets the visibility map, which index-only scans (the queue's count) need.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) reviews, queue_items"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and parameters) sent to the database inside the block."""
    sent: list[tuple[str, Any]] = []

    def listen(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        sent.append((statement, params))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def explain(engine: Engine, statement: str, params: Any) -> list[str]:
    """The plan of one statement, never executing it (rolled back in any case)."""
    postgres = engine.dialect.name == "postgresql"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement, params)
        rows = cursor.fetchall()
        raw.rollback()
    finally:
        raw.close()
    return [str(row[0]) if postgres else str(row[-1]) for row in rows]


def uses_index(plan: list[str]) -> bool:
    """Every table in the plan is read through an index: no sequential or full scan.

    SQLite also says SCAN for reading the rows of a subquery it built (declared in the
    plan as a CO-ROUTINE or MATERIALIZE): that is no table scan.
    """
    subqueries = {
        line.split()[1]
        for line in plan
        if line.strip().startswith(("CO-ROUTINE ", "MATERIALIZE ")) and len(line.split()) > 1
    }

    def table_scan(line: str) -> bool:
        words = line.split()
        return (
            line.strip().startswith("SCAN ")
            and "INDEX" not in line
            and (len(words) < 2 or words[1] not in subqueries)
        )

    full_scan = any("Seq Scan" in line or table_scan(line) for line in plan)
    index = any(
        word in line
        for line in plan
        for word in (
            "Index Scan",
            "Index Only Scan",
            "USING INDEX",
            "USING COVERING INDEX",
            "USING INTEGER PRIMARY KEY",
        )
    )
    return index and not full_scan


def _queue_plans(engine: Engine, sent: list[tuple[str, Any]]) -> list[list[str]]:
    return [
        explain(engine, statement, params)
        for statement, params in sent
        if "queue_items" in statement
        and statement.lstrip().upper().startswith(("SELECT", "UPDATE"))
    ]


def measure(
    engine: Engine, sessions: sessionmaker[Session], agent: Principal, claims: int, lists: int
) -> dict[str, Any]:
    """Median and worst latency of claims and of first-page listings, with their plans."""
    lease = timedelta(minutes=15)
    claim_ms: list[float] = []
    list_ms: list[float] = []
    for _ in range(claims):
        started = time.perf_counter()
        with unit_of_work(sessions) as s:
            claim_next(s, agent, lease=lease)
        claim_ms.append((time.perf_counter() - started) * 1000)
    for _ in range(lists):
        started = time.perf_counter()
        with unit_of_work(sessions) as s:
            list_queue(s, agent, QueueFilter(), limit=50)
        list_ms.append((time.perf_counter() - started) * 1000)
    with captured(engine) as sent_claim, unit_of_work(sessions) as s:
        claim_next(s, agent, lease=lease)
    with captured(engine) as sent_list, unit_of_work(sessions) as s:
        list_queue(s, agent, QueueFilter(), limit=50)
    claim_plans = _queue_plans(engine, sent_claim)
    list_plans = _queue_plans(engine, sent_list)
    return {
        "claim_p50_ms": round(statistics.median(claim_ms), 2),
        "claim_max_ms": round(max(claim_ms), 2),
        "list_p50_ms": round(statistics.median(list_ms), 2),
        "list_max_ms": round(max(list_ms), 2),
        "claim_uses_index": bool(claim_plans) and all(uses_index(p) for p in claim_plans),
        "list_uses_index": bool(list_plans) and all(uses_index(p) for p in list_plans),
        "claim_plan": [line for plan in claim_plans for line in plan],
        "list_plan": [line for plan in list_plans for line in plan],
    }


def queue_at_scale(
    url: str, sizes: list[int], *, claims: int = 30, lists: int = 15
) -> dict[str, Any]:
    """`measure` at each size in turn (the tables grow between sizes)."""
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        sessions = make_session_factory(engine)
        agent = prepare(sessions)
        loaded = 0
        by_size: dict[str, Any] = {}
        for size in sorted(sizes):
            started = time.perf_counter()
            bulk_load(engine, loaded + 1, size)
            load_s = time.perf_counter() - started
            loaded = size
            by_size[str(size)] = {
                "load_s": round(load_s, 1),
                **measure(engine, sessions, agent, claims, lists),
            }
        base = by_size[str(min(sizes))]
        for row in by_size.values():
            row["claim_ratio_vs_smallest"] = round(row["claim_p50_ms"] / base["claim_p50_ms"], 2)
            row["list_ratio_vs_smallest"] = round(row["list_p50_ms"] / base["list_p50_ms"], 2)
        return {"engine": engine.dialect.name, "sizes": by_size}
    finally:
        engine.dispose()
