"""Line charts drawn on the server as SVG (no script, no CDN): the geometry of a chart of daily
values — each series' points, broken where a day has no value, the axis ticks — for the template's
``line_chart`` macro. And durations in words."""

from __future__ import annotations

import math
from typing import Any

from aftersales.entrypoints.web.inbox.words import _

WIDTH, HEIGHT = 640, 210
LEFT, RIGHT, TOP, BOTTOM = 48, 24, 12, 28


def nice_top(value: float) -> float:
    """The axis' top: the first of 1, 2, 2.5, 5 × 10ⁿ at or above ``value`` (1 for nothing)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value - 1e-9)


def line_chart(dates: list[str], series: list[tuple[str, str, list[float | None]]],
               top: float | None = None) -> dict[str, Any]:
    """``series``: (key, words, one value or None per date). x runs over the dates, oldest left;
    y from 0 at the bottom to ``top`` (by default the largest value, rounded up to a nice number)."""
    values = [v for _, _, vs in series for v in vs if v is not None]
    top = top or nice_top(max(values, default=0))
    span_x, span_y = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return round(LEFT + (span_x * i / (len(dates) - 1) if len(dates) > 1 else span_x / 2), 1)

    def y(v: float) -> float:
        return round(TOP + span_y * (1 - v / top), 1)

    lines = []
    for key, words, values_of in series:
        points = [{"x": x(i), "y": y(v), "value": v, "date": dates[i]}
                  for i, v in enumerate(values_of) if v is not None]
        segments: list[list[str]] = []
        current: list[str] = []
        for i, v in enumerate(values_of):
            if v is None:
                if current:
                    segments.append(current)
                current = []
            else:
                current.append(f"{x(i)},{y(v)}")
        if current:
            segments.append(current)
        lines.append({"key": key, "words": words, "points": points,
                      "segments": [" ".join(s) for s in segments if len(s) > 1]})
    step = max(1, math.ceil(len(dates) / 6))
    x_ticks = [{"x": x(i), "label": dates[i][5:]} for i in range(len(dates) - 1, -1, -step)][::-1]
    y_ticks = [{"y": y(top * f), "value": top * f} for f in (0, 0.5, 1)]
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "bottom": HEIGHT - BOTTOM,
            "top": top, "lines": lines, "x_ticks": x_ticks, "y_ticks": y_ticks, "empty": not values}


def number(value: float, digits: int = 1) -> str:
    """A figure as people write it: at most ``digits`` decimals, none when whole (2.5, 3, 0.33)."""
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def duration(minutes: float | None) -> str:
    """A median time in words: minutes below an hour and a half, hours below two days, then days."""
    if minutes is None:
        return "—"
    if minutes < 1:
        return _("不到 1 分钟")
    if minutes < 90:
        return _("{n} 分钟", n=round(minutes))
    if minutes < 48 * 60:
        return _("{n} 小时", n=f"{minutes / 60:.1f}".removesuffix(".0"))
    return _("{n} 天", n=f"{minutes / 1440:.1f}".removesuffix(".0"))
