"""Small inline SVG charts, drawn on the server. Every text is escaped here.

No scripts and no style attributes: colours are SVG presentation attributes, so
the pages' Content-Security-Policy holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

AUTO_COLOUR = "#2e6f40"
HUMAN_COLOUR = "#b54708"
BAR_COLOUR = "#1d4f91"
TRACK_COLOUR = "#e4e7ec"
TEXT_COLOUR = "#1d2939"


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def stacked_days(
    title: str,
    days: Sequence[tuple[str, int, int]],
    labels: tuple[str, str],
    *,
    width: int = 640,
    height: int = 180,
) -> Markup:
    """Columns per day: first value at the bottom (automatic), second on top (people)."""
    left, bottom, top = 36, 22, 8
    plot_w, plot_h = width - left - 4, height - bottom - top
    peak = max((a + b for _, a, b in days), default=0) or 1
    step = plot_w / max(1, len(days))
    bar = max(1.0, step * 0.8)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{_text(title)}" class="chart">',
        f"<title>{_text(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 4}" y2="{top + plot_h}" '
        f'stroke="{TEXT_COLOUR}" stroke-width="1"/>',
        f'<text x="{left - 4}" y="{top + 10}" text-anchor="end" font-size="11" '
        f'fill="{TEXT_COLOUR}">{peak}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" font-size="11" '
        f'fill="{TEXT_COLOUR}">0</text>',
    ]
    for i, (day, auto, human) in enumerate(days):
        x = left + i * step + (step - bar) / 2
        h_auto = plot_h * auto / peak
        h_human = plot_h * human / peak
        y_auto = top + plot_h - h_auto
        tip = _text(f"{day}: {labels[0]} {auto}, {labels[1]} {human}")
        parts.append(
            f"<g><title>{tip}</title>"
            f'<rect x="{x:.1f}" y="{y_auto:.1f}" width="{bar:.1f}" height="{h_auto:.1f}" '
            f'fill="{AUTO_COLOUR}"/>'
            f'<rect x="{x:.1f}" y="{y_auto - h_human:.1f}" width="{bar:.1f}" '
            f'height="{h_human:.1f}" fill="{HUMAN_COLOUR}"/></g>'
        )
    if days:
        parts.append(
            f'<text x="{left}" y="{height - 6}" font-size="11" fill="{TEXT_COLOUR}">'
            f"{_text(days[0][0])}</text>"
            f'<text x="{width - 4}" y="{height - 6}" font-size="11" text-anchor="end" '
            f'fill="{TEXT_COLOUR}">{_text(days[-1][0])}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(
    title: str, rows: Sequence[tuple[str, int]], *, width: int = 640, colour: str = BAR_COLOUR
) -> Markup:
    """Horizontal bars with their label and value, largest first as given."""
    row_h, label_w = 26, 190
    height = max(1, len(rows)) * row_h + 4
    peak = max((v for _, v in rows), default=0) or 1
    plot_w = width - label_w - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{_text(title)}" class="chart">',
        f"<title>{_text(title)}</title>",
    ]
    for i, (label, value) in enumerate(rows):
        y = 2 + i * row_h
        w = plot_w * value / peak
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="13" '
            f'fill="{TEXT_COLOUR}">{_text(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{plot_w}" height="18" fill="{TRACK_COLOUR}"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="18" fill="{colour}"/>'
            f'<text x="{label_w + plot_w + 6}" y="{y + 17}" font-size="13" '
            f'fill="{TEXT_COLOUR}">{_text(value)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def meter(title: str, share: float | None, caption: str, *, width: int = 190) -> Markup:
    """One share as a filled bar with its percentage written beside it."""
    fill = 0.0 if share is None else max(0.0, min(1.0, share))
    plot_w = width - 8
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 44" role="img" '
        f'aria-label="{_text(title)}: {_text(caption)}" class="chart meter">'
        f"<title>{_text(title)}: {_text(caption)}</title>"
        f'<rect x="4" y="6" width="{plot_w}" height="14" rx="3" fill="{TRACK_COLOUR}"/>'
        f'<rect x="4" y="6" width="{plot_w * fill:.1f}" height="14" rx="3" fill="{BAR_COLOUR}"/>'
        f'<text x="4" y="38" font-size="13" fill="{TEXT_COLOUR}">{_text(caption)}</text>'
        "</svg>"
    )


BAD_COLOUR = "#b42318"


def interval(
    title: str,
    rate: float | None,
    low: float | None,
    high: float | None,
    target: float,
    alert: bool,
    *,
    width: int = 220,
    height: int = 34,
) -> Markup:
    """A rate with its 95% interval on a 0..scale axis, and the target as a tick."""
    if rate is None or low is None or high is None:
        return Markup("")
    scale = max(high, target * 2, 0.01)
    left, right, mid = 4, width - 4, 14

    def x(value: float) -> float:
        return left + (right - left) * min(value, scale) / scale

    colour = BAD_COLOUR if alert else BAR_COLOUR
    caption = f"{title}: {rate:.1%} ({low:.1%}–{high:.1%})"
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{_text(caption)}" class="chart interval">'
        f"<title>{_text(caption)}</title>"
        f'<line x1="{left}" y1="{mid}" x2="{right}" y2="{mid}" stroke="{TRACK_COLOUR}" '
        f'stroke-width="6"/>'
        f'<line x1="{x(low):.1f}" y1="{mid}" x2="{x(high):.1f}" y2="{mid}" stroke="{colour}" '
        f'stroke-width="6"/>'
        f'<circle cx="{x(rate):.1f}" cy="{mid}" r="5" fill="{colour}"/>'
        f'<line x1="{x(target):.1f}" y1="4" x2="{x(target):.1f}" y2="24" '
        f'stroke="{TEXT_COLOUR}" stroke-width="2"/>'
        f'<text x="{x(target):.1f}" y="{height - 1}" text-anchor="middle" font-size="9" '
        f'fill="{TEXT_COLOUR}">{_text(f"{target:.1%}")}</text>'
        "</svg>"
    )


NEGATIVE_COLOUR = "#b42318"
NEUTRAL_COLOUR = "#667085"
POSITIVE_COLOUR = "#2e6f40"


def sentiment_days(
    title: str,
    days: Sequence[tuple[str, int, int, int]],
    labels: tuple[str, str, str],
    *,
    peak: int | None = None,
    width: int = 320,
    height: int = 96,
) -> Markup:
    """A small chart of one touchpoint: a column per day, negative at the bottom, then
    neutral, then positive. `peak` fixes the scale, so several charts compare."""
    left, bottom, top = 26, 16, 4
    plot_w, plot_h = width - left - 2, height - bottom - top
    top_value = peak or max((n + u + p for _, n, u, p in days), default=0) or 1
    step = plot_w / max(1, len(days))
    bar = max(1.0, step * 0.8)
    base = top + plot_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{_text(title)}" class="chart small">',
        f"<title>{_text(title)}</title>",
        f'<line x1="{left}" y1="{base}" x2="{width - 2}" y2="{base}" '
        f'stroke="{TEXT_COLOUR}" stroke-width="1"/>',
        f'<text x="{left - 3}" y="{top + 9}" text-anchor="end" font-size="10" '
        f'fill="{TEXT_COLOUR}">{top_value}</text>',
    ]
    colours = (NEGATIVE_COLOUR, NEUTRAL_COLOUR, POSITIVE_COLOUR)
    for i, (day, *counts) in enumerate(days):
        if not any(counts):
            continue
        x = left + i * step + (step - bar) / 2
        tip = _text(
            f"{day}: " + ", ".join(f"{lab} {n}" for lab, n in zip(labels, counts, strict=True))
        )
        parts.append(f"<g><title>{tip}</title>")
        y = float(base)
        for count, colour in zip(counts, colours, strict=True):
            if not count:
                continue
            h = plot_h * count / top_value
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}"/>'
            )
        parts.append("</g>")
    if days:
        parts.append(
            f'<text x="{left}" y="{height - 3}" font-size="10" fill="{TEXT_COLOUR}">'
            f"{_text(days[0][0])}</text>"
            f'<text x="{width - 2}" y="{height - 3}" font-size="10" text-anchor="end" '
            f'fill="{TEXT_COLOUR}">{_text(days[-1][0])}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
