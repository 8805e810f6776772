"""Geometry of the dashboard's charts (pure): horizontal bars and a line over ISO weeks, drawn as SVG
by ``templates/web/lead/_charts.html`` — readable without JavaScript, each beside a table of its
numbers. Values are placed on a linear scale from 0 to the largest value (or the band's top)."""

from __future__ import annotations

from dataclasses import dataclass

ROW = 22  # pixels per bar
LABEL = 230  # pixels for the labels left of the bars
PLOT = 300  # pixels of the longest bar
TEXT = 130  # pixels right of the longest bar for its value


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the value as shown
    y: float
    width: float
    kind: str  # a CSS class: "", "flag", "muted"


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    x0: int  # where bars start
    band: tuple[float, float] | None  # x from, x to (a shaded strip)

    @property
    def empty(self) -> bool:
        return not self.bars


def bars(
    title: str,
    items: list[tuple[str, float | None, str]],
    band: tuple[float, float] | None = None,
    flag: set[str] | None = None,
) -> BarChart:
    """``items``: (label, value — None is drawn as no bar —, text shown); ``band``: a shaded range of
    values; labels in ``flag`` are drawn in the flag colour."""
    values = [v for _, v, _ in items if v is not None]
    top = max([*values, band[1] if band else 0.0, 1e-9])
    scale = PLOT / top
    out = tuple(
        Bar(
            label=label[:40],
            text=text,
            y=i * ROW,
            width=round((value or 0) * scale, 1),
            kind="flag" if flag and label in flag else ("muted" if value is None else ""),
        )
        for i, (label, value, text) in enumerate(items)
    )
    strip = (round(LABEL + band[0] * scale, 1), round(LABEL + band[1] * scale, 1)) if band else None
    return BarChart(title, out, LABEL + PLOT + TEXT, max(len(out), 1) * ROW + 4, LABEL, strip)


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    text: str
    kind: str


@dataclass(frozen=True)
class LineChart:
    title: str
    points: tuple[Point, ...]
    width: int
    height: int
    band: tuple[float, float] | None  # y from (top), y to (bottom)
    ticks: tuple[tuple[float, str], ...]  # (y, label)

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)

    @property
    def empty(self) -> bool:
        return not self.points


LEFT, TOP, HEIGHT, STEP = 48, 10, 160, 46


def line(
    title: str, items: list[tuple[str, float | None]], band: tuple[float, float] | None = None
) -> LineChart:
    """Per period (label, value in per cent; None is left out), with the band shaded."""
    values = [v for _, v in items if v is not None]
    top = max([*values, band[1] * 1.25 if band else 0.0, 1e-9])

    def y(v: float) -> float:
        return round(TOP + HEIGHT - v / top * HEIGHT, 1)

    points = tuple(
        Point(
            LEFT + i * STEP + STEP / 2,
            y(v),
            label,
            f"{v:.2f} %",
            "flag" if band and not band[0] <= v <= band[1] else "",
        )
        for i, (label, v) in enumerate(items)
        if v is not None
    )
    strip = (y(band[1]), y(band[0])) if band else None
    wanted = [(y(band[0]), f"{band[0]:g} %"), (y(band[1]), f"{band[1]:g} %")] if band else []
    wanted += [(y(0.0), "0 %"), (y(top), f"{top:.1f} %")]
    ticks: list[tuple[float, str]] = []
    for tick in wanted:  # the band's first; a label closer than 10 px to one kept is left out
        if all(abs(tick[0] - kept[0]) >= 10 for kept in ticks):
            ticks.append(tick)
    width = LEFT + max(len(items), 1) * STEP + 10
    return LineChart(title, points, width, TOP + HEIGHT + 34, strip, tuple(ticks))
