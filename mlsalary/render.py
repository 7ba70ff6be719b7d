"""Rendering: an Estimate as a Rich panel and table on a terminal, or as JSON for scripts."""

from __future__ import annotations

import json
from typing import Any

from mlsalary import taxonomy
from mlsalary.estimates import Estimate
from mlsalary.profile import FACTORS

FACTOR_LABELS = {
    "experience": "Experience",
    "years_coding": "Years coding",
    "seniority": "Seniority",
    "country": "Country",
    "industry": "Industry",
    "education": "Education",
    "role": "Role",
    "company_size": "Company size",
    "remote": "Remote work",
    "skills": "Skills",
}


def money(value: float) -> str:
    return f"${value:,.0f}"


def signed_money(value: float) -> str:
    sign = "+" if value >= 0.5 else "-" if value <= -0.5 else "±"
    return f"{sign}${abs(value):,.0f}"


def factor_value(estimate: Estimate, name: str) -> str:
    value = getattr(estimate.profile, name)
    if value is None:
        return "unknown"
    if name in ("experience", "years_coding"):
        return f"{value:g} yrs"
    if name == "country":
        return taxonomy.country_name(value)
    if name == "skills":
        return ", ".join(value) if value else "none listed"
    return str(value)


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def estimate_renderable(estimate: Estimate, *, role_defaulted: bool = False, width: int = 80):
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    q = estimate.quantiles
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("Median", Text(money(q["p50"]), style="bold green"))
    head.add_row("Likely range (p25-p75)", f"{money(q['p25'])} - {money(q['p75'])}")
    head.add_row("Wide range (p10-p90)", f"{money(q['p10'])} - {money(q['p90'])}")
    notes = [Text(f"Estimates {estimate.estimates}.", style="dim")]
    unknown = estimate.unknown_factors
    if unknown:
        notes.append(Text("Unknown factors (not given): " + ", ".join(unknown) + ".", style="dim"))
    if estimate.unmodelled_skills:
        notes.append(Text(
            "Skills too rare in the survey data to have an effect: " + ", ".join(estimate.unmodelled_skills) + ".",
            style="yellow",
        ))
    if role_defaulted:
        notes.append(Text("Role not given: assumed ml-engineer.", style="dim"))
    parts: list = [head, Text(""), *notes]
    if estimate.contributions is not None:
        parts += [Text(""), contributions_table(estimate)]
    # A fixed width (capped by the terminal) lets the notes wrap instead of being cropped.
    return Panel(Group(*parts), title="mlsalary estimate", title_align="left", width=min(width, 88))


def contributions_table(estimate: Estimate):
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Why: contributions to the median", title_justify="left", show_edge=False)
    table.add_column("Factor")
    table.add_column("Value", overflow="fold", max_width=36)
    table.add_column("Contribution", justify="right")
    table.add_column("", no_wrap=True)
    largest = max((abs(v) for v in estimate.contributions.values()), default=1.0) or 1.0
    table.add_row("Baseline", "typical respondent", money(estimate.baseline), "", style="dim")
    for name in FACTORS:
        value = estimate.contributions[name]
        width = round(12 * abs(value) / largest)
        bar = Text(("█" * width) or "·", style="green" if value >= 0 else "red")
        table.add_row(FACTOR_LABELS[name], factor_value(estimate, name), signed_money(value), bar)
    table.add_row("Median", "", Text(money(estimate.quantiles["p50"]), style="bold"), "")
    return table
