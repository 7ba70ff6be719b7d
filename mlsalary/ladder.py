"""Levels above senior (lead, staff, principal ...): the step from a senior's range.

No survey records these levels, so the model estimates a senior and the whole range is
multiplied by the level's ratio to senior at the same employer, measured at training time from
the H-1B filings (train/levels.py) and kept in the model's metadata ("levels"). Like a place's
OEWS ratio, the step is stated in every output with its filings, employers and caveat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlsalary.errors import InputError, ModelError

NO_TABLE = (
    "this model has no table of levels above senior; retrain with `mlsalary train --data DIR` where "
    "DIR holds h1b_fy2024q1/ (see docs/usage.md, section Levels above senior), or give --seniority senior"
)


@dataclass(frozen=True)
class Step:
    """A level above senior and its ratio to senior, with what it rests on."""

    level: str
    ratio: float
    low: float
    high: float
    rows: int
    employers: int
    thin: bool
    source: dict[str, Any]  # the H-1B file the step was measured on (metadata "levels")
    caveat: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "base": "senior",
            "ratio": self.ratio,
            "interval_95": [self.low, self.high],
            "filings": self.rows,
            "employers": self.employers,
            "thin": self.thin,
            "source": self.source,
            "caveat": self.caveat,
        }

    @property
    def text(self) -> str:
        thin = "; few employers, a rough step" if self.thin else ""
        return (
            f"Level: {self.level} is estimated as senior x {self.ratio:.2f} (95%: {self.low:.2f}-{self.high:.2f}), "
            f"what the same employers offer it over a senior title in H-1B filings ({self.rows:,} filings at "
            f"{self.employers:,} employers; base pay only{thin}); applied to the whole range."
        )


def steps(metadata: dict[str, Any]) -> dict[str, Any]:
    """The metadata's steps by level ({} for a model trained without the H-1B filings)."""
    return (metadata.get("levels") or {}).get("levels") or {}


def step(metadata: dict[str, Any], seniority: str | None) -> Step | None:
    """The step of a seniority value above senior, or None for any other value."""
    if seniority is None:
        return None
    from mlsalary import taxonomy  # (read already when a seniority was given: Profile checked it)

    if seniority not in taxonomy.above_senior():
        return None
    entry = steps(metadata).get(seniority)
    if not entry:
        raise InputError("seniority", NO_TABLE)
    table = metadata["levels"]
    try:
        found = Step(
            seniority, float(entry["ratio"]), float(entry["low"]), float(entry["high"]), int(entry["rows"]), int(entry["employers"]),
            bool(entry["thin"]), table.get("source", {}), table.get("caveat"),
        )
    except (KeyError, TypeError, ValueError):
        found = None
    if found is None or not 0.5 <= found.ratio <= 3.0:  # a step outside this is no level ladder
        raise ModelError(f"the model's metadata holds an unreadable or implausible step for level {seniority!r}")
    return found
