"""The int8 (W8A8) Linear layers: exact integer products, close to float, any row count."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from models.int8 import BLOCK_ROWS, MIN_ROWS, quantize_linears  # noqa: E402
from models.precision import fastest_precision  # noqa: E402
from models.transformer import load_classifier  # noqa: E402


@pytest.mark.parametrize("rows", [1, MIN_ROWS - 1, MIN_ROWS, BLOCK_ROWS + 3, 3 * BLOCK_ROWS])
def test_int8_linear_matches_float_within_quantisation_error(rows: int) -> None:
    torch.manual_seed(0)
    linear = torch.nn.Linear(64, 48)
    model = torch.nn.Sequential(linear)
    x = torch.randn(rows, 64)
    with torch.inference_mode():
        expected = linear(x)
        quantize_linears(model)
        got = model(x)
    assert not any(isinstance(m, torch.nn.Linear) for m in model.modules())
    assert got.shape == expected.shape
    # Two 8-bit roundings (input row and weight channel): error well under 2% of the scale.
    scale = expected.abs().max()
    assert float((got - expected).abs().max() / scale) < 0.02
    assert float(torch.nn.functional.cosine_similarity(got, expected, dim=1).min()) > 0.999


def test_int8_linear_keeps_leading_dimensions_and_no_bias() -> None:
    torch.manual_seed(1)
    linear = torch.nn.Linear(32, 16, bias=False)
    x = torch.randn(3, 5, 32)
    with torch.inference_mode():
        expected = linear(x)
        quantised = quantize_linears(torch.nn.Sequential(linear))
        got = quantised(x)
    assert got.shape == (3, 5, 16)
    assert float((got - expected).abs().max()) < 0.05 * float(expected.abs().max())


def test_int8_products_are_exact_on_integer_inputs() -> None:
    # Inputs and weights already on the int8 grid lose nothing: the product is exact int32.
    linear = torch.nn.Linear(32, 8, bias=False)
    with torch.no_grad():
        linear.weight.copy_(torch.randint(-127, 128, (8, 32)).float())
        linear.weight[:, 0] = 127.0  # every channel's scale is exactly 1
    x = torch.randint(-127, 128, (20, 32)).float()
    x[:, 0] = 127.0
    with torch.inference_mode():
        expected = linear(x)
        got = quantize_linears(torch.nn.Sequential(linear))(x)
    assert torch.equal(got, expected)


def test_auto_precision_measures_and_serves_the_choice(
    tiny_encoder: Path, make_model_dir: Callable[..., Path], tmp_path: Path
) -> None:
    model_dir = make_model_dir(encoder=str(tiny_encoder))
    reference = load_classifier(model_dir, cache_dir=tmp_path, threads=1)
    chosen = fastest_precision(reference._encoder.model)
    assert chosen in ("fp32", "int8", "bf16")
    # For a compiled encoder only the layer's products are timed.
    assert fastest_precision(reference._encoder.model, compiled=True) in ("fp32", "int8", "bf16")
    auto = load_classifier(model_dir, cache_dir=tmp_path, threads=1, precision="auto")
    assert auto.precision in ("fp32", "int8", "bf16")
    text = "Das Zimmer war sauber. The shower was cold and nobody came."
    (want,) = reference.predict([text])
    (got,) = auto.predict([text])
    assert len(got.sentences) == len(want.sentences) == 2
    for label, p in want.probabilities.items():
        assert abs(got.probabilities[label] - p) < 0.1
    # A model without BERT-style layers cannot be measured: fp32.
    assert fastest_precision(torch.nn.Linear(4, 4)) == "fp32"
