"""The server-side SVG bar charts: bars in proportion, round gridlines, labels escaped, the same numbers as rows."""

from __future__ import annotations

import re

from outlet.common.money import format_money
from outlet.common.svg_charts import BarChart, Series, nice_step


def bar_heights(svg: str) -> list[float]:
    return [
        float(h) for h in re.findall(r'<rect class="bar" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"', svg)
    ]


def test_gridline_steps_are_round_numbers():
    assert [nice_step(n) for n in (0, 1, 4, 7, 9, 40, 41, 15_000, 99_999)] == [1, 1, 1, 2, 5, 10, 20, 5_000, 50_000]


def test_bars_are_in_proportion_and_the_tallest_reaches_the_top_gridline():
    chart = BarChart(
        chart_id="c",
        title="Joins",
        description="d",
        labels=["Jan 2026", "Feb 2026", "Mar 2026"],
        series=[Series("New", [0, 4, 8])],
    )
    svg = chart.svg()
    heights = bar_heights(svg)
    assert heights[0] == 0 and heights[2] == 2 * heights[1] > 0
    assert [t for t in re.findall(r'text-anchor="end" fill="#333">([^<]+)<', svg)] == ["0", "2", "4", "6", "8"]
    # Tooltips name the month, the series and the value.
    assert "<title>Feb 2026, New: 4</title>" in svg


def test_grouped_bars_sit_side_by_side_and_stacked_bars_pile_up():
    series = [Series("Paying", [6, 3]), Series("Complimentary", [1, 1])]
    grouped = BarChart(chart_id="g", title="t", description="d", labels=["A", "B"], series=series).svg()
    stacked = BarChart(chart_id="s", title="t", description="d", labels=["A", "B"], series=series, stacked=True).svg()
    xs = lambda svg: [float(x) for x in re.findall(r'<rect class="bar" x="([\d.]+)"', svg)]  # noqa: E731
    assert len(set(xs(grouped))) == 4  # every bar its own place
    assert len(set(xs(stacked))) == 2  # one pile per label
    assert "Paying" in grouped and "Complimentary" in grouped  # legend


def test_the_data_table_rows_carry_the_charts_numbers_with_a_total_when_stacked():
    chart = BarChart(
        chart_id="m",
        title="Gifts",
        description="d",
        labels=["Jan 2026", "Feb 2026"],
        series=[Series("Net", [2500, 5000]), Series("Refunded", [0, 10000])],
        stacked=True,
        format_value=lambda minor: format_money(minor, "GEL"),
    )
    assert chart.table_headers() == ["Net", "Refunded", "Total"]
    assert chart.table_rows() == [
        ("Jan 2026", ["GEL\u00a025", "GEL\u00a00", "GEL\u00a025"]),
        ("Feb 2026", ["GEL\u00a050", "GEL\u00a0100", "GEL\u00a0150"]),
    ]
    assert "GEL\u00a0150" in chart.svg()  # the money formatter labels the y axis too


def test_every_text_is_escaped():
    chart = BarChart(
        chart_id='x" onload="alert(1)',
        title="<script>alert(1)</script>",
        description='"quoted" & <b>',
        labels=["<img src=x>"],
        series=[Series("<i>s</i>", [1]), Series("two", [2])],
    )
    svg = chart.svg()
    assert "<script>" not in svg and "<img" not in svg and "<i>" not in svg and "<b>" not in svg
    assert 'onload="' not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg and "&quot;quoted&quot; &amp; &lt;b&gt;" in svg


def test_an_empty_or_all_zero_chart_still_draws_axes():
    empty = BarChart(chart_id="e", title="Nothing", description="No data.", labels=[], series=[Series("New", [])]).svg()
    zeros = BarChart(
        chart_id="z", title="Zeros", description="d", labels=["Jan 2026"], series=[Series("New", [0])]
    ).svg()
    for svg in (empty, zeros):
        assert svg.startswith("<svg") and svg.endswith("</svg>") and 'role="img"' in svg and "<line" in svg
    assert bar_heights(zeros) == [0.0]


def test_negative_values_draw_no_bar_below_the_axis():
    svg = BarChart(chart_id="n", title="t", description="d", labels=["A", "B"], series=[Series("Net", [-5, 5])]).svg()
    assert all(h >= 0 for h in bar_heights(svg))
