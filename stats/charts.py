"""Horizontal bar charts drawn on the server as inline SVG: no JavaScript, readable without styles."""

from __future__ import annotations

from dataclasses import dataclass

BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 190
BAR_AREA = 420
VALUE_WIDTH = 70
# What fits in LABEL_WIDTH at the charts' 13 px sans-serif (about 7 px a character, capitals wider).
LABEL_CHARACTERS = 25


@dataclass(frozen=True)
class Bar:
    label: str  # whole, for the tooltip and screen readers
    value_text: str
    y: int
    width: float

    @property
    def short_label(self) -> str:
        """The label as drawn: a long workshop title would run off the chart's left edge."""
        if len(self.label) <= LABEL_CHARACTERS:
            return self.label
        return self.label[: LABEL_CHARACTERS - 1].rstrip() + "…"

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 6


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    height: int
    width: int = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    bar_x: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def value_x(self) -> int:
        return LABEL_WIDTH + BAR_AREA + 6


def bar_chart(title: str, rows: list[tuple[str, float | None, str]], *, scale_max: float | None = None) -> BarChart:
    """A chart of (label, value, value as printed) rows; bars scale to `scale_max` or the largest value."""
    largest = scale_max or max((value or 0 for _label, value, _text in rows), default=0) or 1
    bars = [
        Bar(
            label=label,
            value_text=text,
            y=index * (BAR_HEIGHT + GAP),
            width=round(BAR_AREA * max(0.0, min(float(value or 0), largest)) / largest, 1),
        )
        for index, (label, value, text) in enumerate(rows)
    ]
    return BarChart(title=title, bars=bars, height=max(len(bars) * (BAR_HEIGHT + GAP), BAR_HEIGHT))
