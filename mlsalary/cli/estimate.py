"""`mlsalary estimate` and `mlsalary batch`: one profile explained, or many in a stream."""

from __future__ import annotations

import codecs
import io
from typing import TYPE_CHECKING, Annotated, List, Optional

import typer

from mlsalary.cli.environment import Environment
from mlsalary.errors import InputError, printable
from mlsalary.status import ExitStatus

from mlsalary.cli.app import (
    Command,
    CurrencyOption,
    ModelOption,
    PerOption,
    TrustOption,
    _examples,
    _progress,
    _silence_stdout,
    app,
    get_env,
    handle_errors,
    load_estimator,
    output_options,
    print_note,
    profile_options,
    write_data,
)

if TYPE_CHECKING:
    from mlsalary.profile import Profile

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
@profile_options()
@output_options("json")
def estimate(
    profile: Profile,
    offer: Annotated[
        Optional[str],
        typer.Option("--offer", metavar="USD", help="A yearly offer in USD to check: where it falls among comparable profiles (145000, 145k, $180,000, 1.5M; '180.000' and '180,000' are both 180000).", rich_help_panel="Negotiation"),
    ] = None,
    what_if: Annotated[Optional[List[str]], typer.Option("--what-if", metavar="CHANGE", help="How the range moves with a change: factor=value, factor= (unknown), skills+=name, skills-=name. Repeatable.", rich_help_panel="Negotiation")] = None,
    output: str = "table",
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
    from mlsalary import negotiation
    from mlsalary.cli import render

    changes = [negotiation.parse_change(text) for text in what_if or ()]
    for change in changes:
        negotiation.apply_change(profile, change)  # validate every change before the slow part
    estimator = load_estimator(model, trust_model)
    conversion = estimator.conversion(currency, per)
    if offer is None:
        offer_usd = None
    elif conversion is None:
        offer_usd = negotiation.parse_offer(offer)
    else:
        limit = negotiation.MAX_OFFER * conversion.rate / 1.0
        local = negotiation.parse_offer(offer, conversion.code, max_amount=limit)
        offer_usd = conversion.to_usd_per_year(local)
        if negotiation.is_bare_amount(offer):  # no sign or code: it is read in the unit shown, say so
            print_note(f"Note: read the offer {offer.strip()[:40]!r} as {local:,.0f} {conversion.code} per {conversion.per}, the unit of the figures shown.")
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
    if output == "json":
        data = result.to_dict()
        if offer_warning is not None:
            data["offer_warning"] = offer_warning
        if scenarios is not None:
            data["what_if"] = scenarios
        write_data(data)
        return
    console = env.console()
    console.print(render.estimate_renderable(result, width=console.width, ascii=not env.stdout_isatty))
    if scenarios is not None:
        console.print(render.what_if_table(scenarios))


# -- batch --------------------------------------------------------------------------------------


@app.command(
    short_help="Estimate many profiles: a CSV or JSON Lines file, row for row.",
    cls=Command,
    epilog=_examples(
        "mlsalary batch sample_data/profiles.csv > estimates.csv",
        "cat profiles.jsonl | mlsalary batch - --input-format jsonl --output-format jsonl --explain",
    ),
)
@handle_errors
def batch(
    file: Annotated[str, typer.Argument(metavar="FILE|-", help="CSV or JSON Lines file of profiles; '-' or nothing reads stdin.")] = "-",
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
    conversion = estimator.conversion(currency, per)
    if conversion is not None:
        _print_plain(batch_module.conversion_note(conversion))
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
    summary.undecodable_bytes = _UNDECODABLE[0]
    for note in summary.notes():
        _print_plain(note)


def _print_plain(note: str) -> None:
    """A note of the library's, plain text: shown as it is (its warning word in colour)."""
    env = get_env()
    if not env.colour(stderr=True):
        # No colour: the text as print_note's Rich console writes it, without loading Rich.
        env.stderr.write(printable(note) + "\n")
        env.stderr.flush()
        return
    from rich.markup import escape

    warning = "Warning: "
    if note.startswith(warning):
        print_note("[yellow]Warning:[/yellow] " + escape(note[len(warning):]))
    else:
        print_note(escape(note))


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
            buffer = stream.buffer if hasattr(stream.buffer, "peek") else io.BufferedReader(stream.buffer)
            return io.TextIOWrapper(buffer, encoding=_encoding(buffer.peek(4)[:4], "-"), errors="mlsalary-replace", newline="")
        return stream
    try:
        with open(file, "rb") as raw:
            start = raw.read(4)
        return open(file, encoding=_encoding(start, file), errors="mlsalary-replace", newline="")
    except OSError as error:
        raise InputError("FILE", f"cannot read '{file}': {error.strerror}") from None


# Byte order marks, the longest first (UTF-32 LE begins with UTF-16 LE's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)


def _encoding(start: bytes, file: str) -> str:
    """The input's encoding from its byte order mark (UTF-8 without one); a file of UTF-16 or
    UTF-32 without a mark is refused in one line rather than read as NUL-filled text."""
    for bom, encoding in _BOMS:
        if start.startswith(bom):
            return encoding
    # Text of UTF-16 or UTF-32 without a mark has NULs in a pattern: the high bytes of its
    # characters (LE: x 00 . 00; BE: 00 . 00 x). A stray NUL in UTF-8 text is just a bad cell.
    little = len(start) == 4 and start[0] != 0 and start[1] == 0 and start[3] == 0
    big = len(start) == 4 and start[0] == 0 and start[2] == 0 and start[3] != 0
    if little or big:
        where = "standard input" if file == "-" else f"'{file}'"
        raise InputError("FILE", f"{where} looks like UTF-16 or UTF-32 without a byte order mark; save it as UTF-8 (or with a BOM)")
    return "utf-8-sig"


