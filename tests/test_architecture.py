"""docs/architecture.md names every module of mlsalary/, and names none that is gone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def modules_on_disk() -> set[str]:
    return {str(p.relative_to(ROOT)) for p in (ROOT / "mlsalary").rglob("*.py")}


def modules_in_the_map() -> set[str]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    return set(re.findall(r"`(mlsalary/[\w/]+\.py)`", text))


def test_every_module_is_in_the_module_map():
    missing = sorted(modules_on_disk() - modules_in_the_map())
    assert not missing, f"add these to docs/architecture.md: {missing}"


def test_the_module_map_names_no_module_that_is_gone():
    gone = sorted(modules_in_the_map() - modules_on_disk())
    assert not gone, f"docs/architecture.md names modules that do not exist: {gone}"
