"""Negotiation: where an offer falls in the predicted distribution, and what-if changes.

Offer percentile: the five calibrated quantiles are knots of a piecewise log-normal
distribution. Between knots the normal score z is interpolated linearly in log pay; beyond
p10 and p90 the tails continue with the slope of the outermost segment (a log-normal tail),
so an offer far outside the range still gets a sensible, bounded percentile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import Sequence

from mlsalary.errors import InputError
from mlsalary.profile import FACTORS, Profile

_NORMAL = NormalDist()
LEVELS = (0.10, 0.25, 0.50, 0.75, 0.90)
_Z = tuple(_NORMAL.inv_cdf(p) for p in LEVELS)
MAX_OFFER = 100_000_000.0


def parse_offer(value) -> float:
    """An offer in USD per year: a positive number; '145k' and '145,000' are accepted."""
    text = str(value).strip().lower().replace(",", "").replace("_", "").lstrip("$")
    factor = 1.0
    if text.endswith("k"):
        text, factor = text[:-1], 1_000.0
    try:
        number = float(text) * factor
    except ValueError:
        raise InputError("offer", f"offer must be a yearly amount in USD such as 145000 or 145k, got '{value}'") from None
    if not math.isfinite(number) or number <= 0 or number > MAX_OFFER:
        raise InputError("offer", f"offer must be a yearly amount in USD above 0 and at most 100,000,000, got '{value}'")
    return number


def offer_percentile(quantiles: Sequence[float], offer: float) -> float:
    """Share (0-100) of comparable profiles paid less than `offer`."""
    logs = [math.log(q) for q in quantiles]
    x = math.log(offer)
    tied = [level for level, value in zip(LEVELS, logs) if abs(value - x) < 1e-12]
    if tied:  # the offer sits on one or more (collapsed) quantiles: the middle of their levels
        return round(100 * (tied[0] + tied[-1]) / 2, 1)
    if x < logs[0]:
        slope = _segment_slope(logs, _Z, 0)
        z = _Z[0] - (logs[0] - x) * slope
    elif x > logs[-1]:
        slope = _segment_slope(logs, _Z, len(logs) - 2)
        z = _Z[-1] + (x - logs[-1]) * slope
    else:
        i = max(j for j in range(len(logs) - 1) if logs[j] <= x)
        span = logs[i + 1] - logs[i]
        z = _Z[i] + (0.0 if span <= 0 else (x - logs[i]) / span * (_Z[i + 1] - _Z[i]))
    return round(100 * min(max(_NORMAL.cdf(z), 0.001), 0.999), 1)


def _segment_slope(logs: Sequence[float], zs: Sequence[float], i: int) -> float:
    # z per log-dollar along segment i; a collapsed segment falls back to the whole range.
    span = logs[i + 1] - logs[i]
    if span > 1e-9:
        return (zs[i + 1] - zs[i]) / span
    whole = logs[-1] - logs[0]
    return (zs[-1] - zs[0]) / whole if whole > 1e-9 else 50.0


def offer_sentence(offer: float, percentile: float, median: float) -> str:
    # "about 100%" would overstate what a survey sample can say: say 1-99%.
    if offer < median:
        share = min(max(round(100 - percentile), 1), 99)
        return f"{offer:,.0f} is below about {share}% of comparable profiles; the median is {median:,.0f}."
    share = min(max(round(percentile), 1), 99)
    return f"{offer:,.0f} is above about {share}% of comparable profiles; the median is {median:,.0f}."


# -- what-if ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One what-if edit: `factor=value`, `factor=` (make unknown), `skills+=x`, `skills-=x`."""

    text: str
    factor: str
    op: str  # "=", "+=", "-="
    value: str


def parse_change(text: str) -> Change:
    for op in ("+=", "-=", "="):
        if op in text:
            factor, value = text.split(op, 1)
            break
    else:
        raise InputError("what-if", f"what-if must look like factor=value, skills+=name or skills-=name; got '{text}'")
    factor = factor.strip().lower().replace("-", "_")
    if factor not in FACTORS:
        import difflib

        close = difflib.get_close_matches(factor, FACTORS, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "factors: " + ", ".join(FACTORS)
        raise InputError("what-if", f"unknown factor '{factor}' in what-if '{text}'; {hint}")
    if op != "=" and factor != "skills":
        raise InputError("what-if", f"'{op}' works only for skills; use {factor}=value in '{text}'")
    return Change(text, factor, op, value.strip())


def apply_change(profile: Profile, change: Change) -> Profile:
    """A new Profile with the change applied; the value is validated like any input."""
    if change.op == "=":
        if change.value == "":
            return replace(profile, **{change.factor: None})
        parsed = Profile.from_mapping({change.factor: change.value})
        return replace(profile, **{change.factor: getattr(parsed, change.factor)})
    skills = Profile.from_mapping({"skills": change.value}).skills or ()
    current = set(profile.skills or ())
    new = current | set(skills) if change.op == "+=" else current - set(skills)
    return replace(profile, skills=tuple(sorted(new)))
