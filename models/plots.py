"""PNG plots for `triage eval`: confusion matrix and reliability diagram (matplotlib, Agg)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def confusion_png(confusion: dict[str, dict[str, int]], title: str, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(confusion)
    grid = [[confusion[g][p] for p in names] for g in names]
    figure, axes = plt.subplots(figsize=(4.2, 3.6), dpi=120)
    image = axes.imshow(grid, cmap="Blues")
    axes.set_xticks(range(len(names)), names)
    axes.set_yticks(range(len(names)), names)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title, fontsize=9)
    top = max(max(row) for row in grid) or 1
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            colour = "white" if value > top / 2 else "black"
            axes.text(j, i, str(value), ha="center", va="center", color=colour)
    figure.colorbar(image, ax=axes, fraction=0.046)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def reliability_png(
    bins: Sequence[tuple[float, float, int]], ece: float, title: str, path: Path
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(4.2, 3.6), dpi=120)
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect")
    if bins:
        confidence, accuracy, _ = zip(*bins, strict=True)
        axes.plot(confidence, accuracy, marker="o", label="model")
        for x, y, n in bins:
            axes.annotate(str(n), (x, y), fontsize=6, textcoords="offset points", xytext=(3, -8))
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel("confidence")
    axes.set_ylabel("accuracy")
    axes.set_title(f"{title}\nECE {ece:.3f}", fontsize=9)
    axes.legend(loc="upper left", fontsize=7)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path
