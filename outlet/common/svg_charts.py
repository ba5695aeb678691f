"""Bar charts drawn on the server as inline SVG: no JavaScript, no CDN, nothing to load.

Each chart is a labelled image (role="img" with a <title>, a <desc> and an aria-label) and carries the same
numbers as table rows, which the page shows under the chart for screen readers and for anyone who wants the
exact figures. Values are non-negative integers (counts, or money in minor units with a formatter for labels)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Okabe-Ito colours: told apart with the common colour-vision deficiencies, and each bar also has its own
# tooltip and table row, so colour is never the only way to read a value.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 92, 16, 16, 64
LEGEND_HEIGHT = 24


def nice_step(maximum: int, *, ticks: int = 4) -> int:
    """A round gridline step (1, 2 or 5 times a power of ten) giving at most `ticks` steps up to `maximum`."""
    raw = max(-(-maximum // ticks), 1)
    magnitude = 10 ** (len(str(raw)) - 1)
    for multiple in (1, 2, 5, 10):
        if multiple * magnitude >= raw:
            return multiple * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]


@dataclass(frozen=True)
class BarChart:
    """Bars for each label, one per series side by side (grouped) or piled up (stacked)."""

    chart_id: str  # unique on the page: the ids of <title> and <desc> derive from it
    title: str
    description: str
    labels: Sequence[str]  # along the x axis; a space in a label starts a second line
    series: Sequence[Series]
    x_axis_label: str = ""
    y_axis_label: str = ""
    stacked: bool = False
    format_value: Callable[[int], str] = field(default=str)

    @property
    def show_total(self) -> bool:
        return self.stacked and len(self.series) > 1

    def table_headers(self) -> list[str]:
        return [s.name for s in self.series] + (["Total"] if self.show_total else [])

    def table_rows(self) -> list[tuple[str, list[str]]]:
        """(label, formatted values) per x-axis label: the chart's numbers, for the data table under it."""
        rows = []
        for index, label in enumerate(self.labels):
            values = [s.values[index] for s in self.series]
            cells = [self.format_value(v) for v in values] + (
                [self.format_value(sum(values))] if self.show_total else []
            )
            rows.append((label, cells))
        return rows

    def _highest(self) -> int:
        if not self.labels or not self.series:
            return 0
        if self.stacked:
            return max(sum(max(s.values[i], 0) for s in self.series) for i in range(len(self.labels)))
        return max(max(s.values[i], 0) for s in self.series for i in range(len(self.labels)))

    def svg(self) -> SafeString:
        legend = LEGEND_HEIGHT if len(self.series) > 1 else 0
        top = TOP + legend
        plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - top - BOTTOM
        step = nice_step(self._highest())
        ceiling = step * max(-(-self._highest() // step), 1)

        def y_of(value: int) -> float:
            return top + plot_height - plot_height * value / ceiling

        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="revenue-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{escape(self.title)}" aria-describedby="{escape(self.chart_id)}-desc" '
            f'preserveAspectRatio="xMinYMin meet" font-family="sans-serif" font-size="11">',
            f'<title id="{escape(self.chart_id)}-title">{escape(self.title)}</title>',
            f'<desc id="{escape(self.chart_id)}-desc">{escape(self.description)}</desc>',
        ]
        parts += self._legend()
        # Gridlines and y-axis tick labels.
        for tick in range(0, ceiling + 1, step):
            y = y_of(tick)
            parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd" />')
            parts.append(
                f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
                f'fill="#333">{escape(self.format_value(tick))}</text>'
            )
        parts.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{top}" y2="{top + plot_height}" stroke="#666" />')
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{top + plot_height}" y2="{top + plot_height}" stroke="#666" />'
        )
        parts += self._bars(plot_width=plot_width, y_of=y_of)
        if self.y_axis_label:
            middle = top + plot_height / 2
            parts.append(
                f'<text x="14" y="{middle:.1f}" text-anchor="middle" transform="rotate(-90 14 {middle:.1f})" '
                f'fill="#333">{escape(self.y_axis_label)}</text>'
            )
        if self.x_axis_label:
            parts.append(
                f'<text x="{LEFT + plot_width / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" '
                f'fill="#333">{escape(self.x_axis_label)}</text>'
            )
        parts.append("</svg>")
        return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped

    def _legend(self) -> list[str]:
        if len(self.series) < 2:
            return []
        parts, x = [], LEFT
        for index, series in enumerate(self.series):
            colour = COLOURS[index % len(COLOURS)]
            parts.append(f'<rect class="legend-key" x="{x}" y="{TOP - 10}" width="12" height="12" fill="{colour}" />')
            parts.append(f'<text x="{x + 16}" y="{TOP}" fill="#333">{escape(series.name)}</text>')
            x += 28 + 7 * len(series.name)
        return parts

    def _bars(self, *, plot_width: int, y_of: Callable[[int], float]) -> list[str]:
        if not self.labels:
            return []
        parts = []
        group_width = plot_width / len(self.labels)
        bars_width = group_width * 0.72
        bar_width = bars_width if self.stacked else bars_width / max(len(self.series), 1)
        base = y_of(0)
        for index, label in enumerate(self.labels):
            group_x = LEFT + index * group_width + (group_width - bars_width) / 2
            stacked_so_far = 0
            for number, series in enumerate(self.series):
                value = max(series.values[index], 0)
                if self.stacked:
                    x, y_top, y_bottom = group_x, y_of(stacked_so_far + value), y_of(stacked_so_far)
                    stacked_so_far += value
                else:
                    x, y_top, y_bottom = group_x + number * bar_width, y_of(value), base
                tooltip = f"{label}, {series.name}: {self.format_value(series.values[index])}"
                parts.append(
                    f'<rect class="bar" x="{x:.1f}" y="{y_top:.1f}" width="{max(bar_width - 1, 1):.1f}" '
                    f'height="{y_bottom - y_top:.1f}" '
                    f'fill="{COLOURS[number % len(COLOURS)]}"><title>{escape(tooltip)}</title></rect>'
                )
            parts.append(self._x_label(label, x=LEFT + index * group_width + group_width / 2, y=base + 14))
        return parts

    @staticmethod
    def _x_label(label: str, *, x: float, y: float) -> str:
        first, _, rest = label.partition(" ")
        lines = f'<tspan x="{x:.1f}" dy="0">{escape(first)}</tspan>'
        if rest:
            lines += f'<tspan x="{x:.1f}" dy="13">{escape(rest)}</tspan>'
        return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" fill="#333">{lines}</text>'
