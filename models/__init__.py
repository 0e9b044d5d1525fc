"""The ML side of Guest Triage.

This top level is torch-free: it exposes the `Prediction` value and the
`SentimentClassifier` protocol the service depends on. torch and transformers
are imported only inside the real implementation (`models.transformer`).
"""

from models.errors import ModelLoadError
from models.prediction import (
    LABELS,
    ClassifierInfo,
    Prediction,
    SentencePrediction,
    SentimentClassifier,
)

__all__ = [
    "LABELS",
    "ClassifierInfo",
    "ModelLoadError",
    "Prediction",
    "SentencePrediction",
    "SentimentClassifier",
]
