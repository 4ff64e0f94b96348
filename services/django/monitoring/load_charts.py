"""The last day drawn as inline SVG, server-side: no script, nothing fetched, nothing for a CSP to block.

Each series is averaged into MAX_POINTS buckets, so a chart stays small whatever the history
holds. A line breaks where a container sent nothing for a while (gone, restarting).
"""
import math
from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext

from .history import DAY

MAX_POINTS = 288  # one per 5 minutes of a whole day
# A young history is drawn over an hour at least, so its first minutes are not stretched wide.
MIN_SPAN = timedelta(hours=1)
# A line breaks where a container sent nothing for three buckets, and never for less than this:
# the probes report every PROBE_INTERVAL (15 s).
MIN_GAP = timedelta(minutes=1)
MAX_TICKS = 6
TICK_STEPS = tuple(timedelta(minutes=m) for m in (10, 15, 30, 60, 120, 180, 240, 360))
WIDTH, HEIGHT = 720, 180
LEFT, RIGHT, TOP, BOTTOM = 40, 20, 8, 22  # room for the axis labels
# Colour-blind safe (Okabe and Ito), dark enough on white; the same container keeps its colour.
COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7f5539", "#616e7c")


@dataclass(frozen=True)
class Line:
    label: str
    colour: str
    path: str  # SVG path data in the chart's coordinates
    points: int
    last: str  # the newest value, as the legend shows it


@dataclass(frozen=True)
class Tick:
    at: float  # x or y in the chart's coordinates
    label: str


@dataclass(frozen=True)
class Chart:
    title: str
    lines: list
    x_ticks: list
    y_ticks: list
    level: Tick | None  # the warning level, drawn dashed
    note: str = ""
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


def colours(containers):
    return {container: COLOURS[index % len(COLOURS)] for index, container in enumerate(containers)}


def chart(title, series, value_of, *, now, tz, colour_of, level=None, unit="%", note=""):
    """One chart of `value_of(series)` for each series that has values; `level` draws a threshold.

    The time axis spans the history there is (a day at most, an hour at least), and each line
    ends at its newest reading, unaveraged, the figure the table beside it shows.
    """
    oldest = min((time for line in series for time in line.times), default=now - DAY)
    start = max(now - DAY, min(oldest, now - MIN_SPAN))
    span = now - start
    bucket = span / MAX_POINTS
    gap = 3 * max(bucket, MIN_GAP)
    drawn = []
    for line in series:
        points = _bucket_means(line.times, value_of(line), start, bucket)
        newest = _newest(line.times, value_of(line))
        if points and newest is not None:
            # The newest reading takes the place of its bucket's mean.
            if newest[0] - points[-1][0] <= bucket / 2:
                points[-1] = newest
            else:
                points.append(newest)
        if points:
            drawn.append((line, points))
    top_value = max([level or 0] + [value for _, points in drawn for _, value in points])
    y_max = _nice_ceiling(top_value * 1.1) if unit != "%" else max(100, 50 * math.ceil(top_value / 50))

    def x(moment):
        return LEFT + (WIDTH - LEFT - RIGHT) * (moment - start) / span

    def y(value):
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - min(max(value, 0), y_max) / y_max)

    lines = []
    for line, points in drawn:
        segments = []
        for index, (moment, value) in enumerate(points):
            if index == 0 or moment - points[index - 1][0] > gap:
                segments.append([])
            segments[-1].append(f"{x(moment):.1f},{y(value):.1f}")
        path = " ".join(_segment(segment) for segment in segments)
        lines.append(Line(line.container, colour_of[line.container], path, len(points), _format(points[-1][1], unit)))
    return Chart(
        title=title,
        lines=lines,
        x_ticks=[Tick(round(x(moment), 1), moment.strftime("%H:%M")) for moment in _ticks(start, now, tz)],
        y_ticks=[Tick(round(y(value), 1), _format(value, unit)) for value in (0, y_max / 2, y_max)],
        level=Tick(round(y(level), 1), _format(level, unit)) if level is not None else None,
        note=note,
    )


def _newest(times, values):
    """(time, value) of the newest reading that has a value, or None."""
    return next(((time, value) for time, value in zip(reversed(times), reversed(values)) if value is not None), None)


def _bucket_means(times, values, start, bucket):
    """(bucket middle, mean) for each bucket holding values, oldest first."""
    sums = {}
    for moment, value in zip(times, values):
        if value is None or moment < start:
            continue
        index = min(int((moment - start) / bucket), MAX_POINTS - 1)
        total, count = sums.get(index, (0.0, 0))
        sums[index] = (total + value, count + 1)
    return [(start + bucket * (index + 0.5), total / count) for index, (total, count) in sorted(sums.items())]


def _segment(points):
    # A lone point still shows: a zero-length segment with a round cap is a dot.
    return f"M{points[0]} " + (" ".join(f"L{point}" for point in points[1:]) if len(points) > 1 else "h0")


def _ticks(start, end, tz):
    """Whole local times between start and end, at the first step of TICK_STEPS that cuts the
    span into at most MAX_TICKS steps."""
    span = end - start
    step = next((step for step in TICK_STEPS if span / step <= MAX_TICKS), TICK_STEPS[-1])
    local = start.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    moment = midnight + step * math.ceil((local - midnight) / step)
    ticks = []
    while moment <= end:
        ticks.append(moment)
        moment += step
    return ticks


def _nice_ceiling(value):
    """The smallest of 1, 2, 5 x 10^n at or above value (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def percent(value):
    """A whole percentage as the page's language writes it (12 %, 12%): the table and the charts alike."""
    return gettext("{value} %").format(value=f"{value:.0f}")


def _format(value, unit):
    if unit == "%":
        return percent(value)
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"
