"""Rendering: an Estimate as a Rich panel and table on a terminal, or as JSON for scripts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlsalary import taxonomy
from mlsalary.factors import BY_NAME, FACTOR_LABELS, FIELDS

if TYPE_CHECKING:  # the option and model-card commands render without numpy
    from mlsalary.estimates import Estimate



def money(value: float, currency: str = "USD") -> str:
    return f"${value:,.0f}" if currency == "USD" else f"{value:,.0f} {currency}"


def short_money(value: float, currency: str = "USD") -> str:
    """$134k: for cells where a full figure does not fit."""
    text = f"{value / 1000:,.0f}k"
    return f"${text}" if currency == "USD" else f"{text} {currency}"


def signed_money(value: float, currency: str = "USD") -> str:
    sign = "+" if value >= 0.5 else "-" if value <= -0.5 else "±"
    return sign + money(abs(value), currency)


def factor_value(estimate: Estimate, name: str) -> str:
    value = getattr(estimate.profile, name)
    if value is None:
        return "unknown"
    kind = BY_NAME[name].kind
    if kind == "years":
        return f"{value:g} yrs"
    if kind == "country":
        return taxonomy.country_name(value)
    if kind == "skills":
        return ", ".join(value) if value else "none listed"
    if kind == "place":
        return value.name
    return str(value)


def estimate_renderable(estimate: Estimate, *, width: int = 80, ascii: bool = False):
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    # A fixed width (capped by the terminal) lets the notes wrap instead of being cropped.
    panel_width = min(width, 88)
    q = estimate.quantiles
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    cur = estimate.currency
    head.add_row("Median", Text(money(q["p50"], cur), style="bold green"))
    head.add_row("Likely range (p25-p75)", f"{money(q['p25'], cur)} - {money(q['p75'], cur)}")
    head.add_row("Wide range (p10-p90)", f"{money(q['p10'], cur)} - {money(q['p90'], cur)}")
    if estimate.offer is not None:
        head.add_row("Offer", Text(f"{money(estimate.offer, cur)}: percentile {estimate.offer_percentile:g}", style="bold"))
    values = [q[k] for k in ("p10", "p25", "p50", "p75", "p90")]
    lo = min(values[0], estimate.offer or values[0]) / 1.1
    hi = max(values[4], estimate.offer or values[4]) * 1.1
    # The strip fills the value column, which the panel (4) and the widest label with its
    # padding (24) leave, from MIN_STRIP_WIDTH to 44 columns.
    picture = strip(values, lo, hi, width=max(MIN_STRIP_WIDTH, min(44, panel_width - 28)), ascii=ascii, offer=estimate.offer)
    head.add_row("", Text(picture, style="cyan"))
    notes = [Text(f"Note: {reading}.", style="cyan") for reading in (*estimate.profile.readings, *([estimate.pooled] if estimate.pooled else []))]
    if estimate.offer is not None:
        notes.append(Text(estimate.offer_summary or "", style="bold"))  # (set when an offer is)
    if estimate.thin_support:
        notes.append(Text(
            ("Thin data: no training respondents share" if not estimate.support else f"Thin data: only {estimate.support:,} training respondents share")
            + " this country and role; "
            "treat this range with caution.",
            style="bold yellow",
        ))
    if estimate.level is not None:
        notes.append(Text(estimate.level.text, style="cyan"))
    if estimate.location is not None:
        from mlsalary.locations import CAVEAT

        notes.append(Text(estimate.location.text, style="cyan"))
        notes.append(Text(CAVEAT, style="yellow"))
    notes.append(Text(f"Estimates {estimate.estimates}.", style="dim"))
    if estimate.conversion is not None:
        per = "" if estimate.conversion.per == "year" else " per month (a twelfth of the year)"
        notes.append(Text(f"In {estimate.currency}{per}: {estimate.conversion.source}.", style="dim"))
    unknown = estimate.unknown_factors
    if unknown:
        notes.append(Text(
            "Not given (the range covers every answer people gave to these): " + ", ".join(unknown) + ".",
            style="dim",
        ))
    if estimate.unmodelled_skills:
        notes.append(Text(
            "Skills the survey data has too few or no answers for (no effect on the estimate): "
            + ", ".join(estimate.unmodelled_skills) + ".",
            style="yellow",
        ))
    if estimate.role_note:
        notes.append(Text(estimate.role_note, style="yellow"))
    parts: list = [head, Text(""), *notes]
    if estimate.contributions is not None:
        parts += [Text(""), contributions_table(estimate, bars=panel_width >= 64)]
    return Panel(Group(*parts), title="mlsalary estimate", title_align="left", width=panel_width)


def contributions_table(estimate: Estimate, *, bars: bool = True):
    """Each given factor's contribution to the median, from the baseline; `bars` draws each
    one's size beside it (left out on a narrow terminal, where the words need the room)."""
    from rich.table import Table
    from rich.text import Text

    assert estimate.contributions is not None and estimate.baseline is not None  # callers check
    table = Table(title="Why: contributions to the median", title_justify="left", show_edge=False)
    table.add_column("Factor")
    table.add_column("Value", overflow="fold", max_width=36)
    table.add_column("Contribution", justify="right", no_wrap=True)  # a number is never cut
    if bars:
        table.add_column("", no_wrap=True)
    bar: list[Any] = [""] if bars else []
    largest = max((abs(v) for v in estimate.contributions.values()), default=1.0) or 1.0
    cur = estimate.currency
    table.add_row("Baseline", "nothing known", money(estimate.baseline, cur), *bar, style="dim")
    for name in FIELDS:
        if name not in estimate.contributions:
            continue  # not given: not a player, contributes nothing
        value = estimate.contributions[name]
        size = round(12 * abs(value) / largest)
        drawn = [Text(("█" * size) or "·", style="green" if value >= 0 else "red")] if bars else []
        table.add_row(FACTOR_LABELS[name], factor_value(estimate, name), signed_money(value, cur), *drawn)
    table.add_row("Median", "", Text(money(estimate.quantiles["p50"], cur), style="bold"), *bar)
    table.caption = BASELINE_MEANS
    table.caption_justify = "left"
    return table


# Who "nothing known" is, so that a negative row reads as "pays less than that", not "costs".
BASELINE_MEANS = (
    "Baseline: the median when nothing about a person is known (any country, role and experience). Each row "
    "moves it: a minus means that value pays less than that, not that it costs money."
)


def what_if_table(scenarios: list[dict[str, Any]]):
    from rich.table import Table
    from rich.text import Text

    table = Table(title="What if", title_justify="left")
    table.add_column("Scenario")
    for name in ("p10", "p50", "p90"):
        table.add_column(name, justify="right")
    table.add_column("Median change", justify="right")
    for row in scenarios:
        change = row["change_p50"]
        style = "green" if change > 0 else "red" if change < 0 else ""
        cur = row.get("currency", "USD")
        moved = "" if row["scenario"] == "as given" else Text(f"{signed_money(change, cur)} ({row['change_p50_pct']:+.1f}%)", style=style)
        table.add_row(row["scenario"], money(row["p10"], cur), money(row["p50"], cur), money(row["p90"], cur), moved)
    return table


def options_renderable(data: dict[str, Any], factor: str | None):
    from rich.table import Table

    if factor == "location":
        return location_options_renderable(data)
    if factor is None:
        table = Table(title="Factors (mlsalary options FACTOR for values and aliases)", title_justify="left")
        table.add_column("Factor")
        table.add_column("Values", justify="right")
        table.add_column("Most training rows")
        for name, entry in data.items():
            table.add_row(name, str(entry["values"]) if isinstance(entry["values"], int) else "", ", ".join(entry.get("most_rows", [])) or str(entry["values"]))
        return table
    table = Table(title=f"{factor}: accepted values ({data['training_rows']:,} training rows)", title_justify="left")
    table.add_column("Value")
    if factor in ("country", "skills"):
        table.add_column("Name")
    table.add_column("Rows", justify="right")
    if factor in ("country", "skills"):
        table.add_column("Modelled")
    table.add_column("Also accepted", overflow="fold")
    for entry in data["values"]:
        cells = [entry["value"]]
        if factor in ("country", "skills"):
            cells.append(entry["name"])
        if "step" in entry:  # a level above senior: no survey rows, a step from senior
            step = entry["step"]
            cells.append(f"senior x {step['ratio']:.2f}" if step else "not in this model")
        else:
            cells.append(f"{entry['rows']:,}")
        if factor in ("country", "skills"):
            cells.append("yes" if entry["modelled"] else ("pooled as other" if factor == "country" else "too rare"))
        cells.append("; ".join(a for a in entry["aliases"] if a.lower() != entry["value"].lower())[:200])
        table.add_row(*cells)
    return table


def location_options_renderable(data: dict[str, Any]):
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    forms = Table(title="location: accepted forms", title_justify="left")
    forms.add_column("Form")
    forms.add_column("Examples", overflow="fold")
    for entry in data["forms"]:
        forms.add_row(entry["form"], entry["examples"])
    aliases = "; ".join(f"{alias} = {area}" for alias, area in data["aliases"].items())
    source = data["source"]
    return Group(
        forms,
        Text(""),
        Text("Aliases: " + aliases),
        Text(""),
        Text(f"States ({len(data['states'])}): " + ", ".join(s.split(" ", 1)[0] for s in data["states"])),
        Text(""),
        Text(f"Metros ({len(data['metros'])}): " + "; ".join(data["metros"])),
        Text(""),
        Text(f"{source.get('attribution', '')} ({source.get('licence', '')}; {source.get('file', '')}).", style="dim"),
        Text(data["caveat"], style="yellow"),
    )


def model_card_renderable(card: dict[str, Any]):
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    held = card["held_out"]
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")  # a hash too long for the line folds, whole
    facts.add_row("Model", f"{card['model_version']} (created {card['created']})")
    facts.add_row("Estimates", f"{card['estimates']}")
    facts.add_row("Pay window", "{:,.0f}-{:,.0f} USD a year".format(*card["comp_window_usd"]))
    facts.add_row("Method", card["method"])
    measured = ("rows", "coverage_p10_p90", "coverage_p25_p75", "median_abs_pct_error", "better_than_lookup_table", "better_than_loglinear")
    if not all(isinstance(held.get(name), (int, float)) for name in measured):  # a model that did not record them
        facts.add_row("Held-out accuracy", f"not recorded by this model (reproduce: {held['reproduce']})")
    else:
        facts.add_row(
            "Held-out accuracy",
            f"{held['rows']:,} rows: p10-p90 coverage {held['coverage_p10_p90']:.1%}, p25-p75 {held['coverage_p25_p75']:.1%}, "
            f"median abs. error {held['median_abs_pct_error']:.1%}; pinball loss {held['better_than_lookup_table']:.1%} "
            f"better than a lookup table, {held['better_than_loglinear']:.1%} better than log-linear "
            f"(reproduce: {held['reproduce']})",
        )
    versions = card.get("versions") or {}
    facts.add_row("Versions", ", ".join(f"{k} {v}" for k, v in versions.items()))
    artifact = (card.get("artifacts") or {}).get("model.joblib", {})
    facts.add_row("Model file sha256", artifact.get("sha256", "?"))
    sources = Table(title="Training data", title_justify="left")
    for column in ("Source", "Years", "Rows used", "Licence", "Pay"):
        # A source's name and its rows stay whole; the descriptions wrap.
        whole = column in ("Source", "Rows used")
        sources.add_column(column, justify="right" if column == "Rows used" else "left", no_wrap=whole, overflow="ellipsis" if whole else "fold")
    for s in card["sources"]:
        sources.add_row(s["source"], ", ".join(s["years"]), f"{s['rows_used']:,}", s["licence"], s["pay"])
    notices = [Text(s["attribution"], style="dim") for s in card["sources"]]
    place = card.get("locations")
    if place:
        areas = place.get("areas", {})
        facts.add_row(
            "US locations",
            f"{place.get('name')} ({place.get('licence')}; {place.get('file')}, sha256 {str(place.get('sha256'))[:12]}): "
            f"{areas.get('metro', 0)} metros and {areas.get('state', 0)} states. {place.get('method')}. "
            "Base wages of employees (no bonus, no equity), used only as a relative difference; not validated against survey pay.",
        )
        notices.append(Text(place.get("attribution") or "", style="dim"))
    return Group(facts, Text(""), sources, *notices)


# -- range strips: p10-p90 whisker, p25-p75 box, median tick, offer marker -------------------

STRIP_GLYPHS = {"unicode": ("─", "█", "┃", "▼", " "), "ascii": ("-", "=", "|", "v", " ")}


# The strip of a table row: at most this wide, and left out when the terminal leaves less.
STRIP_WIDTH, MIN_STRIP_WIDTH = 28, 12


def strip(q: list[float], lo: float, hi: float, width: int = 40, *, ascii: bool = False, offer: float | None = None) -> str:
    """One line picturing a range on a shared scale lo..hi (log scale: pay ratios look alike)."""
    import math

    whisker, box, tick, mark, blank = STRIP_GLYPHS["ascii" if ascii else "unicode"]
    lo_l, span = math.log(lo), max(math.log(hi) - math.log(lo), 1e-9)

    def at(value: float) -> int:
        return min(width - 1, max(0, round((math.log(value) - lo_l) / span * (width - 1))))

    cells = [blank] * width
    for i in range(at(q[0]), at(q[4]) + 1):
        cells[i] = whisker
    for i in range(at(q[1]), at(q[3]) + 1):
        cells[i] = box
    cells[at(q[2])] = tick
    if offer is not None and lo <= offer <= hi:
        cells[at(offer)] = mark
    return "".join(cells)


def range_table(rows: list[dict[str, Any]], columns: list[tuple[str, str]], *, title: str, ascii: bool = False, change: bool = True, currency: str = "USD", width: int | None = None):
    """Rows with p10..p90 as a table with a strip per row on one shared scale; `columns`
    are the (header, row key) pairs that name each row.

    With `width` (the console's), no number is cut: the strip takes the room the other columns
    leave (at most STRIP_WIDTH), and is left out when less than MIN_STRIP_WIDTH is left.
    """
    from rich.table import Table
    from rich.text import Text

    estimated = [r for r in rows if "p50" in r]
    lo = min((r["p10"] for r in estimated), default=1.0)
    hi = max((r["p90"] for r in estimated), default=2.0)
    body: list[tuple[list[str], Any]] = []  # (text cells, the strip's picture or note)
    for row in rows:
        cells = [str(row.get(key, "")) for _, key in columns]
        if "p50" not in row:
            body.append(([*cells, "", "", "", *([""] if change else []), str(row.get("rows", ""))], Text(row.get("note") or "", style="dim")))
            continue
        q = [row[k] for k in ("p10", "p25", "p50", "p75", "p90")]
        moved = ""
        if change:
            moved = "" if row is rows[0] else f"{row['change_p50_pct']:+.1f}%"
        support = row.get("support", row.get("rows"))
        thin = " (thin)" if row.get("thin") else ""
        body.append(([*cells, money(q[0], currency), money(q[2], currency), money(q[4], currency), *([moved] if change else []), f"{support if support is not None else '?'}{thin}"], q))
    headers = [header for header, _ in columns] + ["p10", "p50", "p90"] + (["p50 vs first"] if change else []) + ["Support"]
    scale = f"{money(lo, currency)} .. {money(hi, currency)}"

    # Numbers and support never wrap; names and the "p50 vs first" header may, at word breaks.
    wraps = [header not in ("p10", "p50", "p90", "Support") for header in headers]
    texts = [[header, *(cells[i] for cells, _ in body)] for i, header in enumerate(headers)]
    natural = [max(len(text) for text in column) for column in texts]
    narrow = [max(len(word) for text in column for word in text.split() or [""]) if wrap else full for column, wrap, full in zip(texts, wraps, natural)]

    def build(strip_width: int, fixed: list[int] | None = None) -> Table:
        table = Table(title=title, title_justify="left")
        for i, header in enumerate(headers):
            # A name longer than its column folds onto the next line rather than being cut.
            table.add_column(header, justify="left" if i < len(columns) else "right", no_wrap=not wraps[i], width=fixed[i] if fixed else None, overflow="fold" if wraps[i] else "ellipsis")
        if strip_width:
            table.add_column(scale if len(scale) <= strip_width else "range", no_wrap=True)
        for cells, picture in body:
            row: list[str | Text] = [*cells]
            if strip_width:
                row.append(picture if isinstance(picture, Text) else strip(picture, lo, hi, width=strip_width, ascii=ascii))
            table.add_row(*row)
        return table

    if width is None:
        return build(STRIP_WIDTH)
    # The strip takes the room the other columns leave, unwrapped if it is enough, else with
    # names and headers wrapped at their longest word.
    for widths, fixed in ((natural, None), (narrow, narrow)):
        room = width - _table_width([*widths, 0])  # the strip's column, empty: what is left
        if room >= MIN_STRIP_WIDTH:
            return build(min(STRIP_WIDTH, room), fixed)
    for widths, fixed in ((natural, None), (narrow, narrow)):  # no room for a strip
        if _table_width(widths) <= width:
            return build(0, fixed)
    # Still too wide: the names give up the excess (folding onto more lines), the numbers none.
    excess, named = _table_width(narrow) - width, len(columns)
    squeezed = [max(8, w - -(-excess // named)) if i < named else w for i, w in enumerate(narrow)]
    return build(0, squeezed)


def _table_width(widths: list[int]) -> int:
    """The width Rich draws a table at whose columns hold text this wide: each column adds
    its padding and a border (3), and the table one border more."""
    return sum(widths) + 3 * len(widths) + 1


def matrix_table(rows: list[dict[str, Any]], row_key: str, column_key: str, *, title: str, currency: str = "USD", width: int | None = None):
    """A grid of medians with their p10-p90 and support: rows x columns of a two-factor compare.

    With `width` (the console's), the columns are split over as many tables as it takes for
    each to fit, one under the other: no number is cut.
    """
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    columns = list(dict.fromkeys(r[column_key] for r in rows))
    keys = list(dict.fromkeys(r[row_key] for r in rows))
    cells: dict[tuple[Any, Any], str] = {}
    for row in rows:
        thin = "*" if row["thin"] else ""
        p10, p90 = row["p10"] / 1000, row["p90"] / 1000
        cells[row[row_key], row[column_key]] = f"{short_money(row['p50'], currency)}\n{p10:,.0f}-{p90:,.0f}k\nn={row['support']}{thin}"
    label = FACTOR_LABELS[row_key]
    first = max(len(text) for text in [label, *map(str, keys)])
    widths = {column: max(len(line) for text in [str(column), *(cells[key, column] for key in keys)] for line in text.split("\n")) for column in columns}
    chunks: list[list[Any]] = [[]]
    for column in columns:
        if width is not None and chunks[-1] and _table_width([first, *(widths[c] for c in chunks[-1]), widths[column]]) > width:
            chunks.append([])
        chunks[-1].append(column)
    tables: list[Any] = []
    for i, chunk in enumerate(chunks):
        table = Table(title=title if i == 0 else None, title_justify="left")
        table.add_column(label, no_wrap=True)
        for column in chunk:
            table.add_column(str(column), justify="right", no_wrap=True)
        for key in keys:
            table.add_row(str(key), *(cells[key, column] for column in chunk))
        tables.append(table)
    return Group(*tables, Text("* thin: fewer than 30 respondents"))
