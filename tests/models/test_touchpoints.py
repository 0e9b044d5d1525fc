"""Touchpoint detection: lexicon, the trained head (fit, save, load, serve)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.errors import ModelLoadError
from models.touchpoint_lexicon import TOUCHPOINTS
from models.touchpoints import TouchpointHead, fit_touchpoint_head, lexicon_hits, micro_f1
from models.transformer import load_classifier
from tests.models.test_finetune import train_tiny


def test_lexicon_extra_terms_and_compounds() -> None:
    hits = lexicon_hits(
        "Die Frühstückseier waren kalt, der Shuttle kam spät.", {"location": ["shuttle"]}
    )
    assert [(h.touchpoint, h.term) for h in hits] == [
        ("breakfast", "Frühstückseier"),
        ("location", "Shuttle"),
    ]
    assert lexicon_hits("Die Klimaanlage lief, die Minibar war leer.")[0].touchpoint == "room"
    assert "location" not in {h.touchpoint for h in lexicon_hits("Die Klimaanlage war laut.")}
    assert "bar" not in {h.touchpoint for h in lexicon_hits("The minibar was empty.")}


def test_micro_f1() -> None:
    assert micro_f1([["a", "b"], []], [["a"], ["c"]]) == pytest.approx(
        {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    )


def test_head_learns_separable_touchpoints_and_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 16)).astype(np.float32)
    codes = ["breakfast", "noise", "wifi"]
    vectors, targets = [], []
    for i, code in enumerate(codes):
        for _ in range(20):
            vectors.append(centres[i] + 0.1 * rng.standard_normal(16).astype(np.float32))
            targets.append([code])
    head = fit_touchpoint_head(np.stack(vectors), targets, epochs=800, lr=2.0)
    for i, code in enumerate(codes):
        assert head.codes(centres[i]) == [code]
    head.save(tmp_path / "head.safetensors")
    loaded = TouchpointHead.load(tmp_path / "head.safetensors")
    assert loaded.threshold == head.threshold
    np.testing.assert_allclose(loaded.probabilities(centres), head.probabilities(centres))
    (tmp_path / "bad.safetensors").write_bytes(b"not a file")
    with pytest.raises(ModelLoadError):
        TouchpointHead.load(tmp_path / "bad.safetensors")


def test_a_trained_head_is_served_with_the_model(tiny_encoder: Path, tmp_path: Path) -> None:
    from triage_cli.touchpoint_eval import train_head_dir

    (tmp_path / "base").mkdir()
    source = train_tiny(tiny_encoder, tmp_path / "base", "tiny-tp-0")
    classifier = load_classifier(source, cache_dir=tmp_path, threads=1)
    rows = [{"text": f"xyzzy plugh {i}", "touchpoints": ["spa"]} for i in range(12)] + [
        {"text": f"das zimmer {i}", "touchpoints": []} for i in range(12)
    ]
    out = tmp_path / "with-head"
    report = train_head_dir(classifier, source, out, rows, version="tiny-tp-1")
    assert report["train_rows"] == 24
    served = load_classifier(out, cache_dir=tmp_path, threads=1)
    assert served.info.version == "tiny-tp-1"
    assert served.card.touchpoint_head == "touchpoints.safetensors"
    head = TouchpointHead.load(out / "touchpoints.safetensors")
    spa = TOUCHPOINTS.index("spa")
    p_spa = head.probabilities(served.sentence_vectors(["xyzzy plugh 3", "das zimmer 3"]))[:, spa]
    assert p_spa[0] > p_spa[1]  # it learned the labelled sentences apart
    (prediction,) = served.predict(["xyzzy plugh 3"])
    expected = ("spa",) if p_spa[0] >= head.threshold else ()
    assert prediction.sentences[0].touchpoints == expected
    with pytest.raises(Exception, match="exists already"):
        train_head_dir(classifier, source, out, rows, version="tiny-tp-2")


@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        # complaint vocabulary the lexicon used to miss
        ("Die Mikrofonanlage im Saal hat ständig gepfiffen.", "meetings_events", "noise"),
        ("The PA system died during the speeches.", "meetings_events", None),
        ("Für die Schulung fehlten Flipchart und Pinnwände.", "meetings_events", None),
        ("Der Lieferverkehr im Hof hat uns um fünf geweckt.", "noise", None),
        ("The bin lorries woke us at dawn.", "noise", None),
        ("We could hear every word through the wall.", "noise", "location"),
        ("Der Tisch war klebrig und voller Krümel.", "cleanliness", None),
        ("The glasses in the room had lipstick on them.", "cleanliness", None),
        ("Die Kurtaxe wurde zweimal berechnet.", "billing", "room"),
        ("They charged the tourist levy twice.", "billing", None),
        ("Zur Altstadt fährt nur stündlich ein Bus.", "location", None),
        ("The receptionist seemed totally indifferent.", "staff", None),
        ("Die Dame am Empfang war herablassend.", "staff", None),
        ("The website put us in the wrong room type.", "booking", None),
        # words that only look like a touchpoint
        ("Alles war wunderbar und gut erreichbar.", "location", "bar"),
        ("Die Bettensteuer wurde bar kassiert.", "billing", "bar"),
        ("Bad luck with the weather.", None, "bathroom"),
        ("Wir waren in Bad Kissingen.", None, "bathroom"),
        ("Eventuell kommen wir wieder, der Preis ist angemessen.", "value", "meetings_events"),
        ("When we arrived the room smelled of smoke.", "cleanliness", "check_in"),
        ("Die Lautsprecher im Konferenzraum rauschten.", "meetings_events", "noise"),
        ("Spinnweben in allen Ecken.", "cleanliness", "meetings_events"),
    ],
)
def test_lexicon_names_everyday_complaint_vocabulary(
    text: str, expected: str | None, absent: str | None
) -> None:
    codes = {hit.touchpoint for hit in lexicon_hits(text)}
    if expected is not None:
        assert expected in codes, (text, codes)
    if absent is not None:
        assert absent not in codes, (text, codes)
