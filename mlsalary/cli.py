"""The `mlsalary` command line: a thin layer over the library (estimates, batch, training).

Data goes to stdout, messages and progress to stderr. Every failure ends with a one-line
message and an ExitStatus, never a traceback.
"""

from __future__ import annotations

import codecs
import errno
import functools
import io
import json
import sys
from pathlib import Path
from typing import Annotated, List, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from typer._click.exceptions import ClickException as _ClickException  # Typer >= 0.26 vendors Click

from mlsalary.environment import Environment
from mlsalary.errors import InputError, MlsalaryError
from mlsalary.profile import FACTOR_HELP
from mlsalary.status import ExitStatus

class Command(TyperCommand):
    """A command whose --help is plain text (fast: no Rich import), options grouped by panel."""

    def format_options(self, ctx, formatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                title = "Arguments" if param.param_type_name == "argument" else getattr(param, "rich_help_panel", None) or "Options"
                sections.setdefault(title, []).append(record)
        for title, records in sections.items():
            with formatter.section(title):
                formatter.write_dl(records)


class Group(TyperGroup):
    """The `mlsalary` group: a usage error is one line, as every other error.

    (Click prints the usage, a hint and the error on three lines.)
    """

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        try:
            status = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]  # (mypy: *args could hold it)
        except _ClickException as error:
            context = getattr(error, "ctx", None)
            hint = f" (see '{context.command_path} --help')" if context is not None else ""
            print_error(error.format_message() + hint)
            status = error.exit_code
        except typer.Abort:
            get_env().stderr.write("Interrupted.\n")
            status = ExitStatus.INTERRUPTED
        if standalone_mode:
            sys.exit(status or 0)
        return status

    # The reader of stdout left (`| head`) while a command or its --help was written. Click
    # would end with exit 1, "unexpected failure"; end quietly with the shell's code instead.

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except BrokenPipeError:
            _silence_stdout()
            raise typer.Exit(int(ExitStatus.BROKEN_PIPE)) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _silence_stdout()
            raise typer.Exit(int(ExitStatus.BROKEN_PIPE)) from None


def _examples(*commands: str) -> str:
    # "\b" keeps Click from re-wrapping the lines of the block.
    return "Examples:\n\n\b\n" + "\n".join(commands)


app = typer.Typer(
    name="mlsalary",
    cls=Group,
    help=(
        "What does a machine-learning engineer really earn? Compensation ranges (p10-p90) "
        "learned from real survey data, with the reasons behind each number.\n\n"
        "Start with:\n\n\b\n"
        "mlsalary estimate --experience 5 --country Germany --skills python,pytorch --education master"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help: Rich's help renderer costs 0.1 s of imports per call
    pretty_exceptions_show_locals=False,  # salaries are sensitive: never print local variables
    pretty_exceptions_enable=False,  # main() turns unexpected errors into one line
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        from mlsalary import __version__

        get_env().stdout.write(f"mlsalary {__version__}\n")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", "-V", is_eager=True, expose_value=False, callback=_show_version, help="Print the version and exit.")] = False,
) -> None:
    # The group's options; its help text is the one given to typer.Typer above.
    pass


def get_env() -> Environment:
    """The current process environment (tests replace this to swap streams)."""
    return Environment()


def handle_errors(command):
    """Turn library errors into a one-line message on stderr and the error's exit status."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except MlsalaryError as error:
            print_error(str(error))
            raise typer.Exit(int(error.exit_status)) from None

    return wrapper


def print_error(message: str) -> None:
    from rich.markup import escape

    print_note(f"[bold red]Error:[/bold red] {escape(message)}")


def print_note(markup: str) -> None:
    """A message on stderr. soft_wrap keeps it one line at any width, so scripts can grep it."""
    get_env().console(stderr=True).print(markup, highlight=False, soft_wrap=True)


# -- shared options -----------------------------------------------------------------------------

ModelOption = Annotated[
    Optional[Path],
    typer.Option("--model", metavar="DIR", help="Model folder to use instead of the shipped model (needs --trust-model).", rich_help_panel="Model"),
]
TrustOption = Annotated[
    bool,
    typer.Option("--trust-model", help="Allow unpickling a --model folder that has only model.joblib (pickles can run code); compiled folders need no trust.", rich_help_panel="Model"),
]


JsonOption = Annotated[
    bool,
    typer.Option("--json", help="Print one JSON object instead of tables (for scripts and jq).", rich_help_panel="Output"),
]


CurrencyOption = Annotated[
    Optional[str],
    typer.Option(
        "--currency", metavar="CODE", envvar="MLSALARY_CURRENCY", rich_help_panel="Output",
        help="State the figures in this currency (EUR, GBP, INR, ...) at the mean ECB reference rate of the reference survey's year; --offer is then in it too.",
    ),
]
PerOption = Annotated[str, typer.Option("--per", metavar="year|month", help="Amounts per year (default) or per month.", rich_help_panel="Output")]


def _conversion(estimator, currency: Optional[str], per: str):
    from mlsalary import currency as currency_module

    if currency is None and per == "year":
        return None
    year = int((estimator.metadata.get("reference") or {}).get("year", 2025))
    return currency_module.conversion(currency or "USD", year, per)


def load_estimator(model: Optional[Path], trust: bool):
    from mlsalary.estimates import Estimator

    return Estimator.load(model, trusted=trust)


def _complete(name: str):
    """Shell completion of a factor's values (`--country Ger<TAB>`), read from the label tables."""

    def values(incomplete: str) -> list[str]:
        from mlsalary import taxonomy

        if name == "country":
            import pycountry

            names = [c.name for c in pycountry.countries] + [c.alpha_2 for c in pycountry.countries]
        else:
            names = list(taxonomy.FACTOR_VALUES.get(name, ()))
        return [v for v in names if v.lower().startswith(incomplete.lower())]

    return values


def _factor_option(name: str, metavar: str):
    # A profile a user repeats can live in the environment: MLSALARY_COUNTRY=DE, ...
    return typer.Option(
        f"--{name.replace('_', '-')}", metavar=metavar, help=FACTOR_HELP[name], rich_help_panel="Profile",
        envvar=f"MLSALARY_{name.upper()}", show_envvar=True, autocompletion=_complete(name),
    )


# The profile options of estimate, compare and trend, written once.
ProfileExperience = Annotated[Optional[str], _factor_option("experience", "YEARS")]
ProfileYearsCoding = Annotated[Optional[str], _factor_option("years_coding", "YEARS")]
ProfileSeniority = Annotated[Optional[str], _factor_option("seniority", "LEVEL")]
ProfileCountry = Annotated[Optional[str], _factor_option("country", "COUNTRY")]
ProfileIndustry = Annotated[Optional[str], _factor_option("industry", "INDUSTRY")]
ProfileEducation = Annotated[Optional[str], _factor_option("education", "DEGREE")]
ProfileCompanySize = Annotated[Optional[str], _factor_option("company_size", "SIZE")]
ProfileRemote = Annotated[Optional[str], _factor_option("remote", "MODE")]
ProfileRole = Annotated[Optional[str], typer.Option("--role", metavar="ROLE", help=FACTOR_HELP["role"] + " Not given: every role.", rich_help_panel="Profile", envvar="MLSALARY_ROLE", show_envvar=True, autocompletion=_complete("role"))]
ProfileSkills = Annotated[Optional[List[str]], typer.Option("--skills", "--skill", metavar="SKILLS", help=FACTOR_HELP["skills"] + " Repeatable.", rich_help_panel="Profile")]


def _profile(**raw):
    from mlsalary.profile import Profile

    if raw.get("skills"):
        raw["skills"] = list(raw["skills"])
    return Profile.from_mapping(raw)


# -- estimate -----------------------------------------------------------------------------------


@app.command(
    cls=Command,
    epilog=_examples(
        "mlsalary estimate --experience 5 --country Germany --skills python,pytorch --education master",
        "mlsalary estimate --country US --role data-scientist --seniority senior --json | jq .range",
        "mlsalary estimate --country US --experience 4 --offer 145k",
        "mlsalary estimate --country DE --skills python --what-if skills+=pytorch --what-if country=US",
        "mlsalary estimate --location 'San Francisco' --role ml-engineer --experience 5",
        "mlsalary estimate --location 'Austin, TX' --role ml-engineer --what-if location=NYC",
    ),
)
@handle_errors
def estimate(
    experience: ProfileExperience = None,
    years_coding: ProfileYearsCoding = None,
    seniority: ProfileSeniority = None,
    country: ProfileCountry = None,
    industry: ProfileIndustry = None,
    education: ProfileEducation = None,
    role: ProfileRole = None,
    company_size: ProfileCompanySize = None,
    remote: ProfileRemote = None,
    skills: ProfileSkills = None,
    location: Annotated[Optional[str], typer.Option("--location", metavar="PLACE", help=FACTOR_HELP["location"] + " A US place shifts the US range by its OEWS wage ratio (not validated).", rich_help_panel="Profile")] = None,
    offer: Annotated[
        Optional[str],
        typer.Option("--offer", metavar="USD", help="A yearly offer in USD to check: where it falls among comparable profiles (145000, 145k, $180,000, 1.5M; '180.000' and '180,000' are both 180000).", rich_help_panel="Negotiation"),
    ] = None,
    what_if: Annotated[Optional[List[str]], typer.Option("--what-if", metavar="CHANGE", help="How the range moves with a change: factor=value, factor= (unknown), skills+=name, skills-=name. Repeatable.", rich_help_panel="Negotiation")] = None,
    as_json: JsonOption = False,
    currency: CurrencyOption = None,
    per: PerOption = "year",
    explain: Annotated[bool, typer.Option("--explain/--no-explain", help="Compute per-factor contributions to the median.", rich_help_panel="Output")] = True,
    model: ModelOption = None,
    trust_model: TrustOption = False,
):
    """Estimate the pay range for one profile, and explain it.

    Prints the median, the likely (p25-p75) and wide (p10-p90) ranges of annual total
    compensation in USD, and how much each factor you gave moved the median away from the
    estimate when nothing is known. Every factor is optional: one you leave out is "not
    given", and the range covers every answer people gave to it (it gets wider, never
    biased). Not given factors contribute nothing.
    """
    from mlsalary import negotiation, render

    profile = _profile(  # validates at the boundary, before loading the model
        experience=experience, years_coding=years_coding, seniority=seniority, country=country, industry=industry,
        education=education, role=role, company_size=company_size, remote=remote, skills=skills, location=location,
    )
    changes = [negotiation.parse_change(text) for text in what_if or ()]
    for change in changes:
        negotiation.apply_change(profile, change)  # validate every change before the slow part
    estimator = load_estimator(model, trust_model)
    conversion = _conversion(estimator, currency, per)
    if offer is None:
        offer_usd = None
    elif conversion is None:
        offer_usd = negotiation.parse_offer(offer)
    else:
        limit = negotiation.MAX_OFFER * conversion.rate / 1.0
        offer_usd = conversion.to_usd_per_year(negotiation.parse_offer(offer, conversion.code, max_amount=limit))
    offer_warning = None if offer_usd is None else negotiation.offer_warning(offer_usd, estimator.metadata.get("comp_window_usd"))
    if offer_warning is not None:
        from rich.markup import escape

        print_note(f"[yellow]Warning:[/yellow] {escape(offer_warning)}.")
    result = estimator.estimate(profile, explain=explain, offer=offer_usd)
    scenarios = estimator.what_if(profile, changes) if changes else None
    if conversion is not None:
        from mlsalary.currency import convert_rows

        result = result.in_currency(conversion)
        scenarios = None if scenarios is None else convert_rows(scenarios, conversion)
    env = get_env()
    if as_json:
        data = result.to_dict()
        if offer_warning is not None:
            data["offer_warning"] = offer_warning
        if scenarios is not None:
            data["what_if"] = scenarios
        env.stdout.write(render.to_json(data) + "\n")
        return
    console = env.console()
    console.print(render.estimate_renderable(result, width=console.width, ascii=not env.stdout_isatty))
    if scenarios is not None:
        console.print(render.what_if_table(scenarios))


# -- batch --------------------------------------------------------------------------------------


@app.command(
    cls=Command,
    epilog=_examples(
        "mlsalary batch sample_data/profiles.csv > estimates.csv",
        "cat profiles.jsonl | mlsalary batch - --input-format jsonl --output-format jsonl --explain",
    ),
)
@handle_errors
def batch(
    file: Annotated[str, typer.Argument(metavar="[FILE|-]", help="CSV or JSON Lines file of profiles; '-' or nothing reads stdin.")] = "-",
    input_format: Annotated[Optional[str], typer.Option("--input-format", metavar="csv|jsonl", help="Input format (default: from the file extension, else csv).")] = None,
    output_format: Annotated[str, typer.Option("--output-format", metavar="csv|jsonl", help="Output format.")] = "csv",
    explain: Annotated[bool, typer.Option("--explain", help="Add the baseline and one contribution column per factor (slower).")] = False,
    fail_fast: Annotated[bool, typer.Option("--fail-fast", help="Stop at the first bad row (exit 2) instead of reporting it in the error column.")] = False,
    currency: CurrencyOption = None,
    per: PerOption = "year",
    model: ModelOption = None,
    trust_model: TrustOption = False,
):
    """Estimate many profiles: one output row per input row, in the same order.

    Columns are the factor names of `estimate` (experience, years_coding, seniority, country,
    industry, education, role, company_size, remote, skills; skills ';'-separated) and
    location (a US metro, city or state, or a country), or headers
    as people write them (Location, Years of Experience, YOE, Degree, Job Title, Level, Company
    Size, Remote, Skills ...; a note says how each was read). Input columns are kept and
    p10,p25,p50,p75,p90, support, thin and error are added. A bad row gets its message (every
    bad field) in the error column and the other rows still get estimates.
    """
    from mlsalary import batch as batch_module

    fmt_in = (input_format or ("jsonl" if file.endswith((".jsonl", ".ndjson")) else "csv")).lower()
    fmt_out = output_format.lower()
    for option, value in (("--input-format", fmt_in), ("--output-format", fmt_out)):
        if value not in batch_module.FORMATS:
            raise InputError(option, f"{option} must be one of csv, jsonl; got '{value}'")
    env = get_env()
    if hasattr(env.stdout, "reconfigure"):
        # Input text may hold what UTF-8 cannot encode (lone surrogates): escape, never crash.
        env.stdout.reconfigure(errors="backslashreplace")
    estimator = load_estimator(model, trust_model)
    conversion = _conversion(estimator, currency, per)
    if conversion is not None:
        print_note(f"Money columns in {conversion.code} per {conversion.per}: {conversion.source}.")
    stream = _open_input(file, env)
    try:
        with _progress(None, unit="rows") as advance:
            summary = batch_module.run(
                estimator, stream, env.stdout, input_format=fmt_in, output_format=fmt_out,
                explain=explain, fail_fast=fail_fast, progress=advance, conversion=conversion,
            )
    except BrokenPipeError:
        # `mlsalary batch big.csv | head`: the reader left. End quietly with the shell's code
        # (Click would turn this into exit 1, "unexpected failure").
        _silence_stdout()
        raise typer.Exit(int(ExitStatus.BROKEN_PIPE)) from None
    finally:
        if stream is not env.stdin:
            stream.close()
    _column_notes(summary)
    if summary.replaced_columns:
        names = ", ".join(summary.replaced_columns)
        print_note(f"Note: input columns named like output columns were replaced by this run's: {names}.")
    if summary.cut_rows:
        print_note(f"Note: {summary.cut_rows} row(s) had more cells than the header; the extra cells were dropped.")
    if _UNDECODABLE[0]:
        print_note(
            f"Note: the input is not valid UTF-8; {_UNDECODABLE[0]} undecodable byte(s) were replaced "
            "with U+FFFD (save the file as UTF-8 to keep them)."
        )
    if summary.offer_warnings:
        print_note(
            f"[yellow]Warning:[/yellow] {summary.offer_warnings} offer(s) lie far outside the training data's "
            "yearly pay (below 10,000: monthly or hourly amounts?); their percentiles are extrapolations."
        )
    if summary.errors:
        print_note(f"{summary.errors} of {summary.rows} rows had errors; see the error column.")


def _column_notes(summary) -> None:
    """Say how headers in other words were read, and which columns no factor uses."""
    from rich.markup import escape

    from mlsalary.profile import show_value

    if summary.column_mappings:
        read = ", ".join(f"{show_value(name)} as {column}" for name, column in summary.column_mappings)
        print_note(escape(f"Note: read column {read}."))
    for name, column in summary.unused_columns:
        print_note(escape(f"Note: column {show_value(name)} not used: {column} is read from another column."))
    if summary.unmapped_columns:
        parts = [
            show_value(name) + (f" (nearest factor: {column})" if column else "")
            for name, column in summary.unmapped_columns
        ]
        print_note(escape("Note: column(s) " + ", ".join(parts) + " match no factor and are passed through unchanged."))


# Bytes that are not UTF-8 become U+FFFD, as with errors="replace", and are counted, so that
# the run can say so: a latin-1 file otherwise shows up only as unknown values in some rows.
_UNDECODABLE = [0]


def _count_and_replace(error: UnicodeDecodeError):
    _UNDECODABLE[0] += error.end - error.start
    return "\ufffd", error.end


codecs.register_error("mlsalary-replace", _count_and_replace)  # type: ignore[arg-type]  # decode errors only


def _open_input(file: str, env: Environment):
    _UNDECODABLE[0] = 0
    if file == "-":
        stream = env.stdin
        if env.stdin_isatty:
            # Nothing piped in: say what is awaited instead of waiting silently.
            print_note(
                "Reading profiles (CSV) from the terminal: type or paste rows, then Ctrl-D. "
                "Or give a file: mlsalary batch profiles.csv"
            )
            # A terminal's end of input is not sticky: read it all at the first Ctrl-D, or a
            # chunked reader would wait for a second one.
            return io.StringIO(stream.read(), newline="")
        if hasattr(stream, "buffer"):
            return io.TextIOWrapper(stream.buffer, encoding="utf-8-sig", errors="mlsalary-replace", newline="")
        return stream
    try:
        return open(file, encoding="utf-8-sig", errors="mlsalary-replace", newline="")
    except OSError as error:
        raise InputError("FILE", f"cannot read '{file}': {error.strerror}") from None


# -- know the inputs, trust the numbers ----------------------------------------------------------

FACTOR_NAMES = ("seniority", "country", "industry", "education", "role", "company_size", "remote", "skills", "location")


@app.command(
    cls=Command,
    epilog=_examples("mlsalary options", "mlsalary options education", "mlsalary options role --json | jq 'keys'"),
)
@handle_errors
def options(
    factor: Annotated[Optional[str], typer.Argument(metavar="[FACTOR]", help="One of: " + ", ".join(FACTOR_NAMES) + ". Omit for a summary.")] = None,
    as_json: JsonOption = False,
):
    """List the accepted values of each factor, with the training rows behind each and its aliases.

    Reads only the model's metadata: instant, no model loading.
    """
    from mlsalary import catalog, persistence, render

    metadata = persistence.read_metadata(persistence.shipped_model_dir())
    if factor is not None:
        factor = catalog.check_factor(factor, FACTOR_NAMES)
    if factor == "location":
        data = catalog.location_options(persistence.shipped_model_dir())
    else:
        data = catalog.options(metadata, factor)
    env = get_env()
    if as_json:
        env.stdout.write(render.to_json(data) + "\n")
    else:
        env.console().print(render.options_renderable(data, factor))


@app.command(cls=Command, epilog=_examples("mlsalary info", "mlsalary info --json | jq .held_out"))
@handle_errors
def info(as_json: JsonOption = False, model: ModelOption = None):
    """The model card: sources and licences, what is estimated, held-out accuracy, versions.

    Every figure comes from the model's metadata, written when the model was trained and
    evaluated on its held-out split (`mlsalary evaluate` reproduces them).
    """
    from mlsalary import catalog, persistence, render

    metadata = persistence.read_metadata(model if model is not None else persistence.shipped_model_dir())
    card = catalog.model_card(metadata)
    env = get_env()
    if as_json:
        env.stdout.write(render.to_json(card) + "\n")
    else:
        env.console().print(render.model_card_renderable(card))


# -- train and evaluate -------------------------------------------------------------------------

DataOption = Annotated[
    Path,
    typer.Option("--data", metavar="DIR", envvar="MLSALARY_DATA", help="Folder with the survey files (see README, section Data).", show_default=False),
]


@app.command(cls=Command, epilog=_examples("mlsalary train --data ../shared/data --out models"))
@handle_errors
def train(
    data: DataOption,
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Model folder to write (new, empty, or a model folder: replaced only once the new model is complete).")] = Path("models"),
):
    """Train the model on the survey files in --data and write it to --out.

    Reads every known source file, harmonizes it, fits the quantile models on the training
    split, calibrates the ranges on the calibration split and records held-out metrics in
    the metadata. The same data always gives the same model.
    """
    from mlsalary import persistence, training

    persistence.check_output_dir(out)  # refuse a bad --out now, not after the training
    steps = ["reading"] + [f"p{q}" for q in (10, 25, 50, 75, 90)] + ["calibrating", "background", "evaluating"]
    with _progress(len(steps)) as advance:
        metadata = training.train(data, out, progress=advance)
    unmapped = metadata["training_data"]["unmapped_labels"]
    if unmapped:
        print_note(f"[yellow]Warning:[/yellow] labels with no mapping (treated as unknown): {json.dumps(unmapped)[:500]}")
    held = metadata["held_out"]["model"]
    print_note(
        f"Wrote {out}/ (model {metadata['model_version']}). Held-out: p10-p90 coverage "
        f"{held['coverage_p10-p90']:.1%}, p25-p75 coverage {held['coverage_p25-p75']:.1%}, "
        f"median abs. error {held['mdape_median']:.1%}."
    )


@app.command(cls=Command, epilog=_examples("mlsalary evaluate --data ../shared/data --out evaluation"))
@handle_errors
def evaluate(
    data: DataOption,
    out: Annotated[Optional[Path], typer.Option("--out", metavar="DIR", help="Also write evaluation.json and evaluation.md here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON instead of a table.")] = False,
    model: ModelOption = None,
    trust_model: TrustOption = False,
):
    """Score the model on its held-out test split, against two baselines.

    Prints coverage of the p10-p90 and p25-p75 ranges, pinball loss and median absolute %
    error, overall and per segment (roles, sources, experience bands, countries, estimated
    pay bands), for the model, a country x experience lookup table and a log-linear
    regression; then the same rows with each factor withheld (is "not given" marginalized?),
    each source's bias against the reference estimate, and skill and industry effects beside
    the data's adjusted effects.
    """
    from mlsalary import evaluation, sources, training

    estimator = load_estimator(model, trust_model)
    data_set = sources.load_training_data(data)
    pinned = estimator.metadata.get("training_data", {}).get("fingerprint_sha256")
    if pinned and pinned != data_set.fingerprint:
        print_note(
            "[yellow]Warning:[/yellow] this data is not the data the model was trained on "
            "(fingerprints differ): the test split may overlap its training rows."
        )
    parts = training.split_data(data_set)
    report = evaluation.evaluate(estimator.model, parts["train"], parts["test"])
    report["model_version"] = estimator.version
    markdown = evaluation.to_markdown(report)
    env = get_env()
    if as_json:
        env.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        env.stdout.write(markdown)
        env.stdout.write(
            f"\nPinball loss (log scale, mean of p10/p50/p90) vs lookup table: "
            f"{report['improvement_over_lookup_pinball']:+.1%} better; vs log-linear: "
            f"{report['improvement_over_loglinear_pinball']:+.1%} better.\n"
        )
    env.stdout.flush()
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "evaluation.json").write_text(json.dumps(report, indent=2) + "\n")
        (out / "evaluation.md").write_text(markdown)
        print_note(f"Wrote {out / 'evaluation.json'} and {out / 'evaluation.md'}")


# -- compare and trend ------------------------------------------------------------------------

CsvOption = Annotated[bool, typer.Option("--csv", help="Print CSV (one row per line) instead of a table.", rich_help_panel="Output")]


def _write_rows(rows: list[dict], columns: list[str], as_json: bool, as_csv: bool) -> bool:
    """JSON (a list of rows) or CSV on stdout; False when neither was asked (draw a table)."""
    from mlsalary import render

    env = get_env()
    if as_json:
        env.stdout.write(render.to_json(rows) + "\n")
        return True
    if as_csv:
        import csv

        writer = csv.DictWriter(env.stdout, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return True
    return False


@app.command(
    cls=Command,
    epilog=_examples(
        "mlsalary compare --role ml-engineer --experience 5 --by country=US,GB,DE,NL",
        "mlsalary compare --country US --experience 5 --by role=data-scientist,ml-engineer",
        "mlsalary compare --role ml-engineer --by country=US,DE --by education=bachelor,master,phd --csv",
    ),
)
@handle_errors
def compare(
    by: Annotated[List[str], typer.Option("--by", metavar="FACTOR=V1,V2", help="The factor to vary and its values, in the order to show; repeat once for a grid.")],
    experience: ProfileExperience = None,
    years_coding: ProfileYearsCoding = None,
    seniority: ProfileSeniority = None,
    country: ProfileCountry = None,
    industry: ProfileIndustry = None,
    education: ProfileEducation = None,
    role: ProfileRole = None,
    company_size: ProfileCompanySize = None,
    remote: ProfileRemote = None,
    skills: ProfileSkills = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
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
    from mlsalary import compare as compare_module
    from mlsalary import render

    profile = _profile(
        experience=experience, years_coding=years_coding, seniority=seniority, country=country, industry=industry,
        education=education, role=role, company_size=company_size, remote=remote, skills=skills,
    )
    varied = [compare_module.parse_by(text) for text in by]
    estimator = load_estimator(model, trust_model)
    rows = compare_module.compare(estimator, profile, varied)
    conversion = _conversion(estimator, currency, per)
    if conversion is not None:
        from mlsalary.currency import convert_rows

        rows = convert_rows(rows, conversion)
    names = [name for name, _ in varied]
    if _write_rows(rows, names + ["p10", "p25", "p50", "p75", "p90", "support", "thin", "change_p50", "change_p50_pct"], as_json, as_csv):
        return
    env = get_env()
    console = env.console()
    code = "USD" if conversion is None else conversion.code
    labelled = [(name.replace("_", " ").capitalize(), name) for name in names]
    console.print(render.range_table(rows, labelled, title="Compare", ascii=not env.stdout_isatty, currency=code))
    if conversion is not None:
        print_note(f"In {code} per {conversion.per}: {conversion.source}.")
    if profile.role is None:
        print_note("Role not given: every row covers every role in the survey data; add --role ml-engineer for ML engineers.")


@app.command(
    cls=Command,
    epilog=_examples(
        "mlsalary trend --country US --role ml-engineer",
        "mlsalary trend --country US --role data-scientist --experience 5 --json",
    ),
)
@handle_errors
def trend(
    experience: ProfileExperience = None,
    years_coding: ProfileYearsCoding = None,
    seniority: ProfileSeniority = None,
    country: ProfileCountry = None,
    industry: ProfileIndustry = None,
    education: ProfileEducation = None,
    role: ProfileRole = None,
    company_size: ProfileCompanySize = None,
    remote: ProfileRemote = None,
    skills: ProfileSkills = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
    model: ModelOption = None,
    trust_model: TrustOption = False,
):
    """The profile's range in each survey year the data covers, each source on its own line.

    Each line is the model's estimate for the profile as reported to that source in that
    year (Stack Overflow: total compensation; aijobs.net: salary), with the training rows
    behind the year; years with under 1,000 rows are marked thin. The past, not a forecast.
    """
    from mlsalary import compare as compare_module
    from mlsalary import render

    profile = _profile(
        experience=experience, years_coding=years_coding, seniority=seniority, country=country, industry=industry,
        education=education, role=role, company_size=company_size, remote=remote, skills=skills,
    )
    estimator = load_estimator(model, trust_model)
    rows = compare_module.trend(estimator, profile)
    sentence = compare_module.trend_sentence(rows)
    if as_json:
        get_env().stdout.write(render.to_json({"rows": rows, "summary": sentence}) + "\n")
        return
    if _write_rows(rows, ["source", "year", "p10", "p25", "p50", "p75", "p90", "rows", "thin", "note"], False, as_csv):
        return
    env = get_env()
    console = env.console()
    console.print(render.range_table(rows, [("Source", "source"), ("Year", "year")], title="Trend", ascii=not env.stdout_isatty, change=False))
    console.print(sentence, soft_wrap=False)


@app.command(
    cls=Command,
    epilog=_examples(
        "mlsalary figures",
        "mlsalary figures --role data-scientist --json | jq '.sections.industry'",
        "mlsalary figures --currency EUR --csv > figures.csv",
    ),
)
@handle_errors
def figures(
    role: Annotated[str, typer.Option("--role", metavar="ROLE", help=FACTOR_HELP["role"], rich_help_panel="Profile")] = "ml-engineer",
    country: ProfileCountry = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
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
    from mlsalary import compare as compare_module
    from mlsalary import render

    profile = _profile(role=role, country=country)
    estimator = load_estimator(model, trust_model)
    sections = compare_module.figures(estimator, profile)
    conversion = _conversion(estimator, currency, per)
    if conversion is not None:
        from mlsalary.currency import convert_rows

        sections = {name: convert_rows(rows, conversion) for name, rows in sections.items()}
    env = get_env()
    if as_json:
        data = {"profile": profile.as_dict(), "estimates": estimator.describes, "sections": sections}
        if conversion is not None:
            data["conversion"] = conversion.as_dict()
        env.stdout.write(render.to_json(data) + "\n")
        return
    if as_csv:
        flat = [{"section": name, "value": "/".join(str(r[k]) for k in ("country", "seniority", "location", "experience", "industry", "education", "skills") if k in r), **r} for name, rows in sections.items() for r in rows]
        _write_rows(flat, ["section", "value", "p10", "p25", "p50", "p75", "p90", "support", "thin"], False, True)
        return
    code = "USD" if conversion is None else conversion.code
    console = env.console()
    ascii = not env.stdout_isatty
    where = "" if profile.country is None else f" in {profile.country}"
    console.print(f"Role {profile.role}{where}: {estimator.describes}.")
    console.print(render.matrix_table(sections["seniority x country"], "seniority", "country", title="By seniority and country (median, p10-p90, n)", currency=code))
    for name, label, key in (("US metro", "Metro", "location"), ("experience", "Experience", "experience"), ("industry", "Industry", "industry"), ("education", "Education", "education"), ("skill", "Skills", "skills")):
        if name not in sections:
            continue
        console.print(render.range_table(sections[name], [(label, key)], title=f"By {label.lower()}", ascii=ascii, currency=code))
    if conversion is not None:
        print_note(f"In {code} per {conversion.per}: {conversion.source}.")


class _progress:
    """Progress on stderr, only when stderr is a terminal (and not TERM=dumb).

    With a total: a bar of named steps (train). Without: a running count of `unit` (batch).
    The callback takes a step name (str) or a number of units done (int).
    """

    def __init__(self, total: int | None, unit: str = "steps"):
        self.total, self.unit = total, unit

    def __enter__(self):
        env = get_env()
        if not env.stderr_isatty or env.environ.get("TERM") == "dumb":
            return lambda done: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        if self.total is None:
            columns = [SpinnerColumn(), TextColumn("{task.completed:,} " + self.unit), TimeElapsedColumn()]
        else:
            columns = [TextColumn("{task.description:<36}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
        self.bar = Progress(*columns, console=env.console(stderr=True), transient=self.total is None)
        self.bar.start()
        task = self.bar.add_task("starting", total=self.total)

        def advance(done) -> None:
            if isinstance(done, str):
                self.bar.update(task, advance=1, description=done)
            else:
                self.bar.update(task, advance=done)

        return advance

    def __exit__(self, *exc):
        if hasattr(self, "bar"):
            self.bar.stop()
        return False


# -- entry point --------------------------------------------------------------------------------


def main() -> None:
    import os

    if sys.stdout is None:  # started with stdout closed (`mlsalary ... >&-`): fail when writing
        sys.stdout = _ClosedStdout()
    status = None
    try:
        try:
            app()
        except SystemExit as done:
            status = done.code
        # Output is buffered: a full disk shows up when it is flushed. Flush here, where the
        # error can be reported, rather than at interpreter exit.
        sys.stdout.flush()
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(ExitStatus.BROKEN_PIPE)
    except OSError as error:  # not a bug: a full disk, a closed stdout, no permission
        try:
            sys.stdout.flush()
        except OSError:
            _silence_stdout()  # the unwritable output must not fail again at exit
        reason = error.strerror or str(error)[:200] or type(error).__name__
        sys.stderr.write(f"Error: '{error.filename}': {reason}\n" if error.filename else f"Error: cannot write the output: {reason}\n")
        sys.exit(ExitStatus.ERROR)
    except Exception as error:  # a bug: one line, no traceback (it could show salaries)
        if os.environ.get("MLSALARY_DEBUG"):
            raise
        sys.stderr.write(
            f"Error: internal error ({type(error).__name__}: {str(error)[:200]}); "
            "set MLSALARY_DEBUG=1 to see where, and please report it\n"
        )
        sys.exit(ExitStatus.ERROR)
    sys.exit(status)


class _ClosedStdout(io.TextIOBase):
    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "stdout is closed")


def _silence_stdout() -> None:
    # Point stdout at /dev/null so the interpreter's final flush cannot raise again.
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
