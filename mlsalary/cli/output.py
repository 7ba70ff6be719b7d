"""The machine-readable outputs every command shares: one JSON and one CSV writer."""

from __future__ import annotations

import csv
import json
from typing import IO, Any, Iterable, Mapping, Sequence


def json_text(data: Any) -> str:
    """Indented JSON; text as it is (not \\u-escaped), so names read right in a terminal."""
    return json.dumps(data, indent=2, ensure_ascii=False)


def write_csv(stream: IO[str], rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """A header and one line per row ('\\n' ends lines, as every output of the tool); keys
    outside `columns` are left out."""
    writer = csv.DictWriter(stream, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    # true/false as batch spells them (and JSON): one spelling in every CSV the tool writes.
    writer.writerows({k: ("true" if v else "false") if isinstance(v, bool) else v for k, v in row.items()} for row in rows)
