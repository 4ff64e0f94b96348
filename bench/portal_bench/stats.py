"""The arithmetic of the report: percentiles, summaries of a step, where a curve crosses a
threshold, ratios and a straight-line fit. Pure functions, no I/O."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def percentile(values: Iterable[float], p: float) -> float | None:
    """The p-th percentile (0-100) by linear interpolation between closest ranks; None when
    there is nothing to rank."""
    ranked = sorted(values)
    if not ranked:
        return None
    if not 0 <= p <= 100:
        raise ValueError(f"a percentile is between 0 and 100, got {p}")
    position = (len(ranked) - 1) * p / 100
    low = math.floor(position)
    high = min(low + 1, len(ranked) - 1)
    return ranked[low] + (ranked[high] - ranked[low]) * (position - low)


def summarize(latencies_ms: Sequence[float], errors: int, seconds: float) -> dict:
    """One load step: requests (successful ones), req/s, latency percentiles in ms, errors.

    Latencies are those of successful requests only: a refused request's few microseconds
    would make a failing server look fast.
    """
    if seconds <= 0:
        raise ValueError("a step lasts some time")
    return {
        "requests": len(latencies_ms),
        "errors": errors,
        "rps": len(latencies_ms) / seconds,
        "p50": percentile(latencies_ms, 50),
        "p95": percentile(latencies_ms, 95),
        "p99": percentile(latencies_ms, 99),
        "max": max(latencies_ms) if latencies_ms else None,
    }


def crossing(points: Sequence[tuple[float, float | None]], threshold: float) -> dict:
    """Where a rising curve first passes `threshold`, from measured (x, y) points sorted by x.

    Returns {"crossed": bool, "below": (x, y) | None, "above": (x, y) | None, "estimate": x | None}:
    `below` is the last point at or under the threshold before the crossing, `above` the first
    over it, `estimate` the x where the straight line between them meets the threshold (None
    when already the first point is over it, or nothing crosses).
    """
    below = None
    for x, y in points:
        if y is None:
            continue
        if y > threshold:
            estimate = None
            if below is not None:
                (x0, y0), (x1, y1) = below, (x, y)
                estimate = x0 + (threshold - y0) * (x1 - x0) / (y1 - y0)
            return {"crossed": True, "below": below, "above": (x, y), "estimate": estimate}
        below = (x, y)
    return {"crossed": False, "below": below, "above": None, "estimate": None}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, None when either is missing or the denominator is zero."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def linear_fit(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """Least-squares (slope, intercept) of y over x; None with fewer than two distinct x."""
    if len({x for x, _ in points}) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    slope = sxy / sxx
    return slope, mean_y - slope * mean_x


def spread(counts: Sequence[int]) -> dict:
    """How evenly clients spread over replicas: the largest share over the fair share (1.0 is
    perfectly even) and the smallest over the fair share."""
    total = sum(counts)
    if not counts or total == 0:
        raise ValueError("nothing to spread")
    fair = total / len(counts)
    return {"max_over_fair": max(counts) / fair, "min_over_fair": min(counts) / fair}


def moved_fraction(before: dict, after: dict) -> float:
    """The share of the clients present in both placements whose replica changed."""
    common = before.keys() & after.keys()
    if not common:
        raise ValueError("the placements share no client")
    return sum(before[c] != after[c] for c in common) / len(common)
