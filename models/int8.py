"""Int8 matrix multiplies for the encoder's Linear layers (W8A8, per token and per channel).

Each Linear's weight is quantised once, per output channel (`w ≈ s_w[n] * q[n, k]`,
`q` in [-127, 127]). At run time each input row (one token) is quantised with its
own scale (`x ≈ s_x[m] * p[m, k]`), the product `p @ q.T` is computed exactly in
int32 by `torch._int_mm` (VNNI int8 dot products on x86), and rescaled:
`y[m, n] = s_x[m] * s_w[n] * (p @ q.T)[m, n] + b[n]`.

Per-token scales are what keeps the accuracy: a single scale for a whole batch
(torch's dynamic quantisation) lets one token with a large activation flatten
every other token's resolution. On the CPUs this service targets, the int8
product runs several times faster than the float32 or bfloat16 one; the
quantise and rescale steps are cheap element-wise passes, run over row blocks
small enough to stay in the cache.

Attention's own products (QK^T, PV), layer norms and GELU stay in float32.
"""

from __future__ import annotations

from typing import Any

#: Rows per block of the quantise / multiply / rescale sequence: a block's int32
#: product (rows x 1536 x 4 bytes) stays inside a core's L2 cache.
BLOCK_ROWS = 256
#: `torch._int_mm` wants more than 16 rows; smaller inputs are padded with zeros.
MIN_ROWS = 17


def _int8_linear_class() -> type[Any]:
    import torch
    from torch import nn

    class Int8Linear(nn.Module):
        """A frozen `nn.Linear` computing in int8 (see the module docstring)."""

        weight_t: torch.Tensor
        weight_scale: torch.Tensor
        bias: torch.Tensor | None

        def __init__(self, linear: nn.Linear) -> None:
            super().__init__()
            weight = linear.weight.detach().float()
            scale = weight.abs().amax(dim=1).clamp(min=1e-12) / 127.0
            quantised = torch.round(weight / scale[:, None]).clamp(-127, 127).to(torch.int8)
            self.in_features = linear.in_features
            self.out_features = linear.out_features
            self.register_buffer("weight_t", quantised.t().contiguous())  # [in, out]
            self.register_buffer("weight_scale", scale)
            bias = linear.bias.detach().float() if linear.bias is not None else None
            self.register_buffer("bias", bias)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            shape = x.shape
            rows = x.reshape(-1, self.in_features).float()
            count = rows.shape[0]
            if count < MIN_ROWS:
                rows = torch.cat([rows, rows.new_zeros(MIN_ROWS - count, self.in_features)])
            if torch.compiler.is_compiling():
                # Compiled (`models.compiled`): inductor fuses the quantise and rescale
                # passes into the neighbouring element-wise work; blocks would only
                # multiply the graph.
                scale = rows.abs().amax(dim=1, keepdim=True).clamp(min=1e-12) / 127.0
                quantised = torch.round(rows / scale).to(torch.int8)
                product = torch._int_mm(quantised, self.weight_t) * scale * self.weight_scale
                if self.bias is not None:
                    product = product + self.bias
                return product[:count].reshape(*shape[:-1], self.out_features)
            out = torch.empty(rows.shape[0], self.out_features, dtype=torch.float32)
            for start in range(0, rows.shape[0], BLOCK_ROWS):
                block = rows[start : start + BLOCK_ROWS]
                if block.shape[0] < MIN_ROWS:  # a short last block: take rows from before it
                    start = rows.shape[0] - MIN_ROWS
                    block = rows[start:]
                scale = block.abs().amax(dim=1, keepdim=True).clamp_(min=1e-12).div_(127.0)
                quantised = torch.div(block, scale).round_().to(torch.int8)
                target = out[start : start + block.shape[0]]
                torch.mul(torch._int_mm(quantised, self.weight_t), scale, out=target)
                target.mul_(self.weight_scale)
                if self.bias is not None:
                    target.add_(self.bias)
            return out[:count].reshape(*shape[:-1], self.out_features)

    return Int8Linear


def quantize_linears(model: Any) -> Any:
    """Replace every `nn.Linear` inside `model` by its int8 twin (in place); returns `model`."""
    from torch import nn

    int8_linear = _int8_linear_class()
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Linear):
                setattr(parent, name, int8_linear(child))
    return model
