"""The shipped default model: complete, attributed, reproducible from recorded data, sane."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.default import default_model_dir
from models.encoder_build import DEFAULT_ENCODER_NAME, sha256_file
from models.model_dir import load_model_dir
from models.passages import auto_score
from models.transformer import load_classifier
from tests.models.conftest import SHARED_DATA, requires_shared_data
from triage_cli.modelling import DATASETS, DEFAULT_DEV, DEFAULT_TRAIN, HOTEL_DEV, HOTEL_TRAIN

HOTEL_NAMES = {Path(n).name: DATASETS / n for n in (*HOTEL_TRAIN, *HOTEL_DEV)}

EVAL_FILES = ("de_sb10k_test.jsonl", "de_potts_test.jsonl", "en_hotel_opspam_truthful.jsonl")


def test_shipped_model_directory_is_complete() -> None:
    directory = load_model_dir(default_model_dir())
    card = directory.card
    assert card.encoder == DEFAULT_ENCODER_NAME
    assert card.adapter == "adapter.safetensors"
    assert directory.head.weight.shape == (3, 384)
    assert 0.5 < card.auto_threshold < 1.0 and card.temperature > 0
    notice = (default_model_dir() / "NOTICE").read_text()
    for name in (
        "Sidarenka 2016",
        "Cieliebak, Deriu, Egger, Uzdilli 2017",
        "Kotzias",
        "written by hand for Guest Triage",
    ):
        assert name in notice
    names = {f.name for f in card.data_files}
    expected = {Path(n).name for n in (*DEFAULT_TRAIN, *DEFAULT_DEV)}
    assert names == expected | set(HOTEL_NAMES)
    assert not names & set(EVAL_FILES)
    assert not names & {"de_test.jsonl", "en_test.jsonl"}
    assert sorted(p.name for p in default_model_dir().iterdir()) == [
        "NOTICE",
        "adapter.safetensors",
        "head.safetensors",
        "model.json",
    ]
    size = sum(p.stat().st_size for p in default_model_dir().iterdir())
    assert size < 8_000_000, "the shipped model must stay small enough for the repository"


def test_hand_written_data_matches_the_recorded_hashes() -> None:
    card = json.loads((default_model_dir() / "model.json").read_text())
    hotel = {r["name"]: r for r in card["data_files"] if r["name"] in HOTEL_NAMES}
    assert set(hotel) == set(HOTEL_NAMES)
    for name, record in hotel.items():
        assert sha256_file(HOTEL_NAMES[name]) == record["sha256"]


@pytest.mark.shared_data
@requires_shared_data
def test_shipped_model_records_the_shared_data_hashes() -> None:
    card = json.loads((default_model_dir() / "model.json").read_text())
    for record in card["data_files"]:
        if record["name"] in HOTEL_NAMES:
            continue
        assert sha256_file(SHARED_DATA / "train" / record["name"]) == record["sha256"]


@pytest.mark.slow
def test_shipped_model_predicts_hotel_reviews(real_encoder_cache: Path) -> None:
    classifier = load_classifier(default_model_dir(), cache_dir=real_encoder_cache, threads=2)
    happy, unhappy, late = classifier.predict(
        [
            "Das Zimmer war sauber und das Personal sehr freundlich. Gerne wieder!",
            "Das Zimmer war schmutzig, das Personal unfreundlich. Nie wieder.",
            "Lovely lobby and a friendly welcome. The location is great. "
            "But the room was filthy, the shower was broken and nobody came to fix it.",
        ]
    )
    assert happy.label == "positive" and unhappy.label == "negative"
    assert happy.model_version == classifier.info.version
    assert [s.label for s in unhappy.sentences] == ["negative", "negative", "negative"]
    assert late.sentences[-1].label == "negative"
    assert late.probabilities["positive"] < classifier.info.auto_threshold


@pytest.mark.slow
def test_shipped_model_finds_the_complaint_inside_praise(real_encoder_cache: Path) -> None:
    """The issue's examples: each complaint passage is negative and carries its
    touchpoint, the praise beside it positive, and no review scores for automation."""
    classifier = load_classifier(default_model_dir(), cache_dir=real_encoder_cache, threads=2)
    cases = [
        (
            "Das Frühstück war kalt und die Auswahl dürftig. Das Zimmer war aber sehr sauber.",
            "Das Frühstück war kalt",
            "breakfast",
            "Das Zimmer war aber sehr sauber.",
        ),
        (
            "Die Tagungstechnik im Konferenzraum fiel zweimal aus, das Catering für unsere "
            "Gruppe war hervorragend.",
            "Die Tagungstechnik im Konferenzraum fiel zweimal aus",
            "meetings_events",
            "das Catering für unsere Gruppe war hervorragend.",
        ),
        (
            "Super Hotel, alles top! Nur das WLAN war etwas langsam.",
            "Nur das WLAN",
            "wifi",
            "Super Hotel, alles top!",
        ),
        (
            "Check-in took forty minutes and nobody apologised.",
            "Check-in took forty minutes",
            "check_in",
            None,
        ),
    ]
    predictions = classifier.predict([text for text, *_ in cases])
    for (text, complaint, touchpoint, praise), prediction in zip(cases, predictions, strict=True):
        by_text = {text[s.start : s.end]: s for s in prediction.sentences}
        (passage,) = [s for t, s in by_text.items() if t.startswith(complaint)]
        assert passage.label == "negative", text
        assert touchpoint in passage.touchpoints, text
        if praise is not None:
            assert by_text[praise].label == "positive", text
        score = auto_score(prediction, text)
        assert score.value < classifier.info.threshold_for("de" if "Das" in text else "en")
