"""`mlsalary compare`, `trend` and `figures`: a profile across places, levels and years."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, List, Optional

import typer

from mlsalary.currency import units
from mlsalary.factors import BY_NAME

from mlsalary.cli.app import (
    Command,
    CurrencyOption,
    ModelOption,
    PerOption,
    TrustOption,
    _complete_by,
    _examples,
    app,
    build_profile,
    factor_option,
    get_env,
    handle_errors,
    load_estimator,
    output_options,
    print_note,
    profile_options,
    write_data,
    write_rows,
)

if TYPE_CHECKING:
    from mlsalary.profile import Profile

# -- compare and trend ------------------------------------------------------------------------

UNITS = ("currency", "per")  # stated in every row of machine output: the amounts' unit


def _stated(rows: list[dict], conversion) -> list[dict]:
    """The rows with their amounts' currency and period, as batch and estimate --json state them."""
    code, period = units(conversion)
    return [{**row, "currency": code, "per": period} for row in rows]


@app.command(
    short_help="One profile across values of a factor, side by side.",
    cls=Command,
    epilog=_examples(
        "mlsalary compare --role ml-engineer --experience 5 --by country=US,GB,DE,NL",
        "mlsalary compare --country US --experience 5 --by role=data-scientist,ml-engineer",
        "mlsalary compare --role ml-engineer --by country=US,DE --by education=bachelor,master,phd --csv",
    ),
)
@handle_errors
@profile_options()
@output_options("json", "csv")
def compare(
    by: Annotated[List[str], typer.Option("--by", metavar="FACTOR=V1,V2", help="The factor to vary and its values, in the order to show; repeat once for a grid.", autocompletion=_complete_by)],
    profile: Profile,
    output: str = "table",
    currency: CurrencyOption = None,
    per: PerOption = "year",
    model: ModelOption = None,
    trust_model: TrustOption = False,
):
    """Compare one profile across values of a factor: places, roles, levels side by side.

    One row per value (or per pair of values with two --by), in the order given: p10, p25,
    median, p75, p90, the training respondents behind it (support, thin when under 30) and
    the change of the median against the first row. Each row is exactly what `estimate`
    gives for that profile.
    """
    from mlsalary import explore
    from mlsalary.cli import render

    varied = [explore.parse_by(text) for text in by]
    estimator = load_estimator(model, trust_model)
    rows = explore.compare(estimator, profile, varied)
    conversion = estimator.conversion(currency, per)
    if conversion is not None:
        from mlsalary.currency import convert_rows

        rows = convert_rows(rows, conversion)
    names = [name for name, _ in varied]
    rows = _stated(rows, conversion)
    if write_rows(rows, names + ["p10", "p25", "p50", "p75", "p90", "support", "thin", "change_p50", "change_p50_pct", *UNITS], output):
        return
    env = get_env()
    console = env.console()
    code = "USD" if conversion is None else conversion.code
    from mlsalary.factors import FACTOR_LABELS

    labelled = [(FACTOR_LABELS[name], name) for name in names]
    console.print(render.range_table(rows, labelled, title="Compare", ascii=not env.stdout_isatty, currency=code, width=console.width))
    if conversion is not None:
        print_note(f"In {code} per {conversion.per}: {conversion.source}.")
    if profile.role is None and "role" not in names:
        print_note("Role not given: every row covers every role in the survey data; add --role ml-engineer for ML engineers.")


@app.command(
    short_help="The profile's range in each survey year of the data.",
    cls=Command,
    epilog=_examples(
        "mlsalary trend --country US --role ml-engineer",
        "mlsalary trend --country US --role data-scientist --experience 5 --json",
    ),
)
@handle_errors
@profile_options()
@output_options("json", "csv")
def trend(
    profile: Profile,
    output: str = "table",
    model: ModelOption = None,
    trust_model: TrustOption = False,
):
    """The profile's range in each survey year the data covers, each source on its own line.

    Each line is the model's estimate for the profile as reported to that source in that
    year (Stack Overflow: total compensation; aijobs.net: salary), with the training rows
    behind the year; years with under 1,000 rows are marked thin. The past, not a forecast.
    """
    from mlsalary import explore
    from mlsalary.cli import render

    estimator = load_estimator(model, trust_model)
    rows = _stated(explore.trend(estimator, profile), None)
    sentence = explore.trend_sentence(rows)
    if output == "json":
        write_data({"currency": "USD", "per": "year", "rows": rows, "summary": sentence})
        return
    if write_rows(rows, ["source", "year", "p10", "p25", "p50", "p75", "p90", "rows", "thin", "note", *UNITS], output):
        return
    env = get_env()
    console = env.console()
    console.print(render.range_table(rows, [("Source", "source"), ("Year", "year")], title="Trend", ascii=not env.stdout_isatty, change=False, width=console.width))
    console.print(sentence, soft_wrap=False)


@app.command(
    short_help="What ML engineers earn, as tables to print.",
    cls=Command,
    epilog=_examples(
        "mlsalary figures",
        "mlsalary figures --role data-scientist --json | jq '.sections.industry'",
        "mlsalary figures --currency EUR --csv > figures.csv",
    ),
)
@handle_errors
@output_options("json", "csv")
def figures(
    role: Annotated[str, factor_option(BY_NAME["role"], help=BY_NAME["role"].help)] = "ml-engineer",
    country: Annotated[Optional[str], factor_option(BY_NAME["country"])] = None,
    location: Annotated[Optional[str], factor_option(BY_NAME["location"])] = None,
    output: str = "table",
    currency: CurrencyOption = None,
    per: PerOption = "year",
    model: ModelOption = None,
    trust_model: TrustOption = False,
):
    """What ML engineers (or --role) earn, as tables: the page to print.

    By seniority x the largest countries, by years of experience (the curve), by industry,
    by education and by the most reported skills. Each cell is a calibrated range (p10,
    median, p90) with the training respondents behind it (n; thin under 30), exactly what
    `estimate` gives for that profile.
    """
    from mlsalary import explore
    from mlsalary.cli import render

    profile = build_profile(role=role, country=country, location=location)
    estimator = load_estimator(model, trust_model)
    sections = explore.figures(estimator, profile)
    conversion = estimator.conversion(currency, per)
    if conversion is not None:
        from mlsalary.currency import convert_rows

        sections = {name: convert_rows(rows, conversion) for name, rows in sections.items()}
    env = get_env()
    sections = {name: _stated(rows, conversion) for name, rows in sections.items()}
    if output == "json":
        code, period = units(conversion)
        data = {"currency": code, "per": period, "profile": profile.as_dict(), "estimates": estimator.describes, "sections": sections}
        if conversion is not None:
            data["conversion"] = conversion.as_dict()
        write_data(data)
        return
    if output == "csv":
        flat = [{"section": name, "value": "/".join(str(r[k]) for k in ("country", "seniority", "location", "experience", "industry", "education", "skills") if k in r), **r} for name, rows in sections.items() for r in rows]
        write_rows(flat, ["section", "value", "p10", "p25", "p50", "p75", "p90", "support", "thin", *UNITS], "csv")
        return
    code = "USD" if conversion is None else conversion.code
    console = env.console()
    ascii = not env.stdout_isatty
    where = "" if profile.country is None else f" in {profile.country}"
    console.print(f"Role {profile.role}{where}: {estimator.describes}.")
    console.print(render.matrix_table(sections["seniority x country"], "seniority", "country", title="By seniority and country (median, p10-p90, n)", currency=code, width=console.width))
    for name, label, key in (("US metro", "Metro", "location"), ("experience", "Experience", "experience"), ("industry", "Industry", "industry"), ("education", "Education", "education"), ("skill", "Skills", "skills")):
        if name not in sections:
            continue
        console.print(render.range_table(sections[name], [(label, key)], title=f"By {label.lower()}", ascii=ascii, currency=code, width=console.width))
    if conversion is not None:
        print_note(f"In {code} per {conversion.per}: {conversion.source}.")


