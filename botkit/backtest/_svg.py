"""Inline SVG line charts for the HTML report: no JavaScript, no external resources.

Series are downsampled with min/max per bucket before drawing, so a million points become a few
thousand and every spike and crash stays visible.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_POINTS = 2000
"""Most points a drawn line keeps after downsampling (plus its first and last point)."""

WIDTH, HEIGHT = 960, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 76, 16, 12, 30


@dataclass(frozen=True, slots=True)
class Line:
    """One series to draw: times in int64 ns UTC, values as float64, a CSS class for its style."""

    x: np.ndarray
    y: np.ndarray
    css_class: str = "line"
    fill_to_zero: bool = False


@dataclass(frozen=True, slots=True)
class Marker:
    """A marker: ``kind`` 'entry' draws ▲, 'exit' ▼, 'kill' ◆ (the kill switch); ``label`` becomes its tooltip."""

    x: int
    y: float
    kind: str
    label: str


def series_arrays(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A time-indexed series as (int64 ns UTC, float64) arrays without non-finite values."""
    index = series.index
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError(f"a charted series needs a DatetimeIndex, got {type(index).__name__}")
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    x = index.as_unit("ns").asi8
    y = series.to_numpy(dtype=np.float64)
    keep = np.isfinite(y)
    return (x, y) if keep.all() else (x[keep], y[keep])


def downsample_minmax(
    x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` (+2) points of (x, y): the min and max of equal-count buckets.

    The first and last points are always kept and the result stays in time order.
    """
    n = len(y)
    if n <= max_points:
        return x, y
    buckets = max(1, max_points // 2)
    size = math.ceil(n / buckets)
    rows = math.ceil(n / size)
    padded = np.concatenate([y, np.full(rows * size - n, y[-1])]).reshape(rows, size)
    offsets = np.arange(rows) * size
    picks = np.concatenate(
        [padded.argmin(axis=1) + offsets, padded.argmax(axis=1) + offsets, [0, n - 1]]
    )
    keep = np.unique(picks[picks < n])
    return x[keep], y[keep]


def line_chart(
    lines: Sequence[Line],
    *,
    label: str,
    y_format: Callable[[float], str],
    markers: Sequence[Marker] = (),
) -> str:
    """An ``<svg>`` element drawing ``lines`` (downsampled) and ``markers`` on shared axes."""
    drawn = [
        Line(*downsample_minmax(line.x, line.y), line.css_class, line.fill_to_zero)
        for line in lines
        if len(line.y)
    ]
    head = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{html.escape(label)}">'
    )
    if not drawn:
        return (
            f'{head}<text class="empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" '
            f'text-anchor="middle">no data</text></svg>'
        )
    xs = [line.x for line in drawn] + [np.array([m.x for m in markers], dtype=np.int64)]
    ys = [line.y for line in drawn] + [np.array([m.y for m in markers], dtype=np.float64)]
    ys += [np.zeros(1)] if any(line.fill_to_zero for line in drawn) else []
    x_lo, x_hi = _span(np.concatenate(xs).astype(np.float64), pad=0.01, flat_half=3600e9)
    y_lo, y_hi = _span(np.concatenate(ys), pad=0.05)
    sx = _Scale(x_lo, x_hi, _LEFT, WIDTH - _RIGHT)
    sy = _Scale(y_lo, y_hi, HEIGHT - _BOTTOM, _TOP)
    parts = [head, _axes(x_lo, x_hi, y_lo, y_hi, sx, sy, y_format)]
    for line in drawn:
        px, py = sx(line.x.astype(np.float64)), sy(line.y)
        path = _path(px, py)
        if line.fill_to_zero:
            zero = sy.at(0.0)
            area = f"{path}L{px[-1]:.1f},{zero:.1f}L{px[0]:.1f},{zero:.1f}Z"
            parts.append(f'<path class="{line.css_class} area" d="{area}"/>')
        parts.append(f'<path class="{line.css_class}" d="{path}"/>')
    parts.extend(_marker(m, sx, sy) for m in markers)
    parts.append("</svg>")
    return "".join(parts)


def _span(values: np.ndarray, pad: float, flat_half: float = 0.0) -> tuple[float, float]:
    """The finite range of ``values`` widened by ``pad`` of its size; never empty.

    A single value becomes value ± ``flat_half`` (or ± 1% of the value when that is 0).
    """
    finite = values[np.isfinite(values)]
    if not len(finite):
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if hi == lo:
        half = flat_half or abs(lo) * 0.01 or 1.0
        return lo - half, hi + half
    extra = (hi - lo) * pad
    return lo - extra, hi + extra


@dataclass(frozen=True, slots=True)
class _Scale:
    """A linear map from data values in [lo, hi] to pixel coordinates in [out_lo, out_hi]."""

    lo: float
    hi: float
    out_lo: float
    out_hi: float

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Pixel coordinates of an array of values."""
        return self.out_lo + (values - self.lo) * (
            (self.out_hi - self.out_lo) / (self.hi - self.lo)
        )

    def at(self, value: float) -> float:
        """Pixel coordinate of one value."""
        return self.out_lo + (value - self.lo) * ((self.out_hi - self.out_lo) / (self.hi - self.lo))


def _path(px: np.ndarray, py: np.ndarray) -> str:
    """SVG path data through the pixel points, one decimal each."""
    coords = np.char.mod("%.1f", np.column_stack([px, py]).ravel()).reshape(-1, 2)
    return "M" + "L".join(f"{a},{b}" for a, b in coords)


def _marker(marker: Marker, sx: _Scale, sy: _Scale) -> str:
    """A ▲ (entry), ▼ (exit) or ◆ (kill) at the marker's time and value, with a tooltip."""
    x = sx.at(float(marker.x))
    y = sy.at(marker.y)
    if marker.kind == "entry":
        shape = f"M{x:.1f},{y - 5:.1f}l5,9h-10z"
    elif marker.kind == "kill":
        shape = f"M{x:.1f},{y - 7:.1f}l7,7l-7,7l-7,-7z"
    else:
        shape = f"M{x:.1f},{y + 5:.1f}l5,-9h-10z"
    return (
        f'<path class="marker {marker.kind}" d="{shape}">'
        f"<title>{html.escape(marker.label)}</title></path>"
    )


def _axes(
    x_lo: float,
    x_hi: float,
    y_lo: float,
    y_hi: float,
    sx: _Scale,
    sy: _Scale,
    y_format: Callable[[float], str],
) -> str:
    """Grid lines and tick labels: nice values on the y axis, about six dates on the x axis."""
    parts = ['<g class="axes">']
    left, right = _LEFT, WIDTH - _RIGHT
    for value in _nice_ticks(y_lo, y_hi):
        y = sy.at(value)
        parts.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{html.escape(y_format(value))}</text>"
        )
    span_ns = x_hi - x_lo
    fmt = (
        "%Y-%m-%d" if span_ns > 3 * 86_400e9 else "%m-%d %H:%M" if span_ns > 3600e9 else "%H:%M:%S"
    )
    for i, t in enumerate(np.linspace(x_lo, x_hi, 6)):
        x = sx.at(float(t))
        text = pd.Timestamp(int(t), unit="ns", tz="UTC").strftime(fmt)
        anchor = "start" if i == 0 else "end" if i == 5 else "middle"
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 10}" text-anchor="{anchor}">{html.escape(text)}</text>'
        )
    parts.append(
        f'<rect class="frame" x="{left}" y="{_TOP}" width="{right - left}" '
        f'height="{HEIGHT - _TOP - _BOTTOM}"/></g>'
    )
    return "".join(parts)


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round values (1, 2 or 5 times a power of ten) inside [lo, hi]."""
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]
