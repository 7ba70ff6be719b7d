"""What every command shares: the Typer app, error handling, the Environment, the profile
and output options, progress, and the entry point."""

from __future__ import annotations

import contextvars
import errno
import functools
import inspect
import io
import sys
import typing
from pathlib import Path
from typing import Annotated, Any, List, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from mlsalary.cli.environment import Environment
from mlsalary.cli import output
from mlsalary.errors import InputError, MlsalaryError
from mlsalary.factors import REGISTRY, Factor
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
        given = kwargs.get("obj")  # the Environment of `main(env=...)` or a test runner's obj=
        running = _ENVIRONMENT.set(given if isinstance(given, Environment) else None)
        try:
            status = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]  # (mypy: *args could hold it)
        except Exception as error:
            if not _is_usage_error(error):
                raise
            context = getattr(error, "ctx", None)
            if type(error).__name__ == "NoArgsIsHelpError" and context is not None:
                # `mlsalary` alone: the help, as `mlsalary --help` shows it, without an "Error:".
                get_env().stdout.write(context.get_help() + "\n")
                status = 0
                if standalone_mode:
                    sys.exit(0)
                return status
            hint = f" (see '{context.command_path} --help')" if context is not None else ""
            print_error(error.format_message() + hint)
            status = error.exit_code
        except typer.Abort:
            get_env().stderr.write("Interrupted.\n")
            status = ExitStatus.INTERRUPTED
        finally:
            _ENVIRONMENT.reset(running)
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


# The Environment of the command running now (set by Group.main for the length of the run).
_ENVIRONMENT: contextvars.ContextVar[Environment | None] = contextvars.ContextVar("mlsalary_environment", default=None)


class _UsageError(typing.Protocol):
    exit_code: int

    def format_message(self) -> str: ...


def _is_usage_error(error: Exception) -> typing.TypeGuard[_UsageError]:
    """A Click usage error (bad option, missing value, no arguments): Click's errors carry an
    exit code and a message. Typer vendors Click privately, so they are recognised by shape."""
    return callable(getattr(error, "format_message", None)) and isinstance(getattr(error, "exit_code", None), int)


def get_env() -> Environment:
    """The Environment the running command was given (`main(env=...)`, or `obj=` of a test
    runner); outside a command, the process's own."""
    found = _ENVIRONMENT.get()
    return found if found is not None else Environment()


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
    """A message on stderr. soft_wrap keeps it one line at any width, so scripts can grep it;
    whatever input it quotes cannot reach the terminal as control characters or a flood."""
    from mlsalary.errors import printable

    get_env().console(stderr=True).print(printable(markup), highlight=False, soft_wrap=True)


# -- shared options -----------------------------------------------------------------------------

ModelOption = Annotated[
    Optional[Path],
    typer.Option("--model", metavar="DIR", help="Model folder to use instead of the shipped model (needs --trust-model).", rich_help_panel="Model"),
]
TrustOption = Annotated[
    bool,
    typer.Option("--trust-model", help="Allow unpickling a --model folder that has only model.joblib (pickles can run code); compiled folders need no trust.", rich_help_panel="Model"),
]


CurrencyOption = Annotated[
    Optional[str],
    typer.Option(
        "--currency", metavar="CODE", envvar="MLSALARY_CURRENCY", rich_help_panel="Output",
        help="State the figures in this currency (EUR, GBP, INR, ...) at the mean ECB reference rate of the reference survey's year; --offer is then in it too.",
    ),
]
PerOption = Annotated[str, typer.Option("--per", metavar="year|month", help="Amounts per year (default) or per month.", rich_help_panel="Output")]


def load_estimator(model: Optional[Path], trust: bool):
    return get_env().load_estimator(model, trust)


def _complete(name: str):
    """Shell completion of a factor's values (`--country Ger<TAB>`), read from the label tables."""

    def values(incomplete: str) -> list[str]:
        from mlsalary import taxonomy

        if name in ("country", "location"):  # the country index (pycountry's records, written at build time)
            records = taxonomy.tables.countries()
            names = [c["name"] for c in records] + [c["alpha_2"] for c in records]
            if name == "location":  # and the US metros and states of the shipped OEWS table
                from mlsalary.locations import shipped_table

                table = shipped_table()
                names = [area["name"] for area in (table.areas.values() if table else ())] + names
        else:
            names = list(taxonomy.FACTOR_VALUES.get(name, ()))
        return [v for v in names if v.lower().startswith(incomplete.lower())]

    return values


def _complete_by(incomplete: str) -> list[str]:
    """Completion of `--by FACTOR=V1,V2`: the factor names, then the factor's values."""
    from mlsalary.factors import FIELDS

    name, sep, values = incomplete.partition("=")
    if not sep:
        return [f"{field}=" for field in FIELDS if field.startswith(name.lower())]
    done, _, last = values.rpartition(",")
    prefix = f"{name}={done + ',' if done else ''}"
    return [prefix + value for value in _complete(name.lower())(last)] if name.lower() in FIELDS else []


def factor_option(factor: Factor, help: str | None = None) -> Any:
    """The `--option` of a registry factor. A profile a user repeats can live in the
    environment (MLSALARY_COUNTRY=DE, ...); a list of skills cannot (Click splits it at spaces)."""
    names = [factor.option, *factor.option_aliases]
    settings: dict[str, Any] = {"metavar": factor.metavar, "help": help or factor.help + factor.option_help, "rich_help_panel": "Profile"}
    if factor.kind != "skills":
        settings.update(envvar=f"MLSALARY_{factor.name.upper()}", show_envvar=True)
    if factor.kind != "skills":
        settings["autocompletion"] = _complete(factor.name)
    return typer.Option(*names, **settings)


def _parameters(command) -> list[inspect.Parameter]:
    """A command's parameters as Typer reads them, keyword-only (options are inserted among
    them). Its own annotations are strings (PEP 563): resolve them, except the placeholders
    `profile` and `output`, which the decorators replace."""
    hints = _type_hints(inspect.unwrap(command))
    params = []
    for param in inspect.signature(command).parameters.values():
        annotation = param.annotation
        if isinstance(annotation, str) and param.name not in ("profile", "output"):
            annotation = hints[param.name]
        params.append(param.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=annotation))
    return params


@functools.cache  # each command's own function is read by both shared decorators
def _type_hints(function) -> dict[str, Any]:
    # The placeholders' types are imported for type checking only: any stand-in resolves them.
    return typing.get_type_hints(function, localns={"Profile": object}, include_extras=True)


def _replacing(command, placeholder: str, inserted: list[inspect.Parameter], wrapper):
    """`wrapper` (which calls `command`) made to look to Typer like `command`, with its
    `placeholder` parameter replaced by the `inserted` ones (the shared decorators below)."""
    params: list[inspect.Parameter] = []
    for param in _parameters(command):
        params += inserted if param.name == placeholder else [param]
    functools.update_wrapper(wrapper, command)  # (copies an inner decorator's __signature__: replaced next)
    wrapper.__signature__ = inspect.signature(command).replace(parameters=params)
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper


def _value_type(factor: Factor) -> Any:
    return Optional[List[str]] if factor.kind == "skills" else Optional[str]  # skills: repeatable


def profile_options():
    """Give a command one option per registry factor, validated into its `profile` parameter.

    The command declares `profile` where the options go; they are made from the registry, so
    a new factor appears in `estimate`, `compare` and `trend` without touching them.
    """

    def decorate(command):
        factors = list(REGISTRY)
        options = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[_value_type(f), factor_option(f)]) for f in factors]

        def wrapper(**kwargs):
            return command(profile=_profile_of_options({f.name: kwargs.pop(f.name) for f in factors}), **kwargs)

        return _replacing(command, "profile", options, wrapper)

    return decorate


def _profile_of_options(raw: dict[str, Any]):
    """build_profile, where a place from the environment (MLSALARY_COUNTRY=DE) gives way to a
    command-line place that conflicts with it (--location Seattle): the command line wins."""
    try:
        return build_profile(**raw)
    except InputError as error:
        environ = get_env().environ
        places = [name for name in ("country", "location") if raw.get(name) is not None]
        from_env = [name for name in places if environ.get(f"MLSALARY_{name.upper()}") == raw[name]]
        if len(places) < 2 or len(from_env) != 1:
            raise
        try:
            return build_profile(**{**raw, from_env[0]: None})
        except InputError:
            raise error from None


def build_profile(**raw: Any):
    """The Profile of raw option values; an InputError (exit 2) names a bad one."""
    from mlsalary.profile import Profile

    if raw.get("skills"):
        raw["skills"] = list(raw["skills"])
    return Profile.from_mapping(raw)


OUTPUT_FLAGS = {
    "json": "Print JSON instead of tables (for scripts and jq).",
    "csv": "Print CSV (a header, then one row per line) instead of a table.",
}


def output_options(*formats: str):
    """Give a command the flags of its machine-readable formats (`--json`, `--csv`) and pass
    it `output`: "table" (the default, for people) or the format asked for. Two flags at once
    are a usage error (exit 2)."""

    def decorate(command):
        flags = [
            inspect.Parameter(f"as_{name}", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Annotated[bool, typer.Option(f"--{name}", help=OUTPUT_FLAGS[name], rich_help_panel="Output")])
            for name in formats
        ]

        def wrapper(**kwargs):
            chosen = [name for name in formats if kwargs.pop(f"as_{name}")]
            if len(chosen) > 1:
                raise InputError("--" + chosen[1], "give one of " + ", ".join(f"--{name}" for name in chosen))
            return command(output=chosen[0] if chosen else "table", **kwargs)

        return _replacing(command, "output", flags, wrapper)

    return decorate


def write_data(data: Any) -> None:
    """One JSON document on stdout."""
    get_env().stdout.write(output.json_text(data) + "\n")


def write_rows(rows: list[dict], columns: list[str], fmt: str) -> bool:
    """Rows as JSON (a list) or CSV on stdout; False for "table" (the caller draws one)."""
    env = get_env()
    if fmt == "json":
        write_data(rows)
        return True
    if fmt == "csv":
        output.write_csv(env.stdout, rows, columns)
        return True
    return False


DataOption = Annotated[
    Path,
    typer.Option("--data", metavar="DIR", envvar="MLSALARY_DATA", help="Folder with the survey files (see README, section Data).", show_default=False),
]


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
        # Rich's default would swap sys.stdout for a proxy printing to the progress console while
        # it is live: `batch f > out.csv` would draw its rows on the terminal and leave out.csv empty.
        self.bar = Progress(*columns, console=env.console(stderr=True), transient=self.total is None, redirect_stdout=False, redirect_stderr=False)
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


def main(args: list[str] | None = None, env: Environment | None = None) -> None:
    """The `mlsalary` entry point. `env` holds the streams and variables the commands use
    (the process's own by default), so a caller or test can give its own."""
    import os

    if sys.stdout is None:  # started with stdout closed (`mlsalary ... >&-`): fail when writing
        sys.stdout = _ClosedStdout()
    if sys.stderr is None:  # started with stderr closed (`2>&-`): messages are dropped, never sent to stdout
        sys.stderr = open(os.devnull, "w")
    for stream in (sys.stdout, sys.stderr):
        # An output encoding that lacks a character (PYTHONIOENCODING=latin-1 and a bar or a
        # box-drawing line) shows '?' for it rather than ending the command.
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    status = None
    try:
        try:
            _app_for(sys.argv[1:] if args is None else args)(args=args, obj=env if env is not None else Environment())
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
        from mlsalary.errors import printable

        message = f"Error: '{error.filename}': {reason}" if error.filename else f"Error: cannot write the output: {reason}"
        sys.stderr.write(printable(message) + "\n")
        sys.exit(ExitStatus.ERROR)
    except Exception as error:  # a bug: one line, no traceback (it could show salaries)
        if os.environ.get("MLSALARY_DEBUG"):
            raise
        from mlsalary.errors import printable

        sys.stderr.write(
            f"Error: internal error ({type(error).__name__}: {printable(str(error)[:200])}); "
            "set MLSALARY_DEBUG=1 to see where, and please report it\n"
        )
        sys.exit(ExitStatus.ERROR)
    sys.exit(status)


def _app_for(args: list[str]) -> typer.Typer:
    """The app with only the command that `args` run, when they name one.

    Typer builds the Click parameters of every command before it parses the arguments, and a
    run needs one command's. Anything but a command's name first (the group's --help, which
    lists every command; an unknown name, for Click to suggest the nearest; no arguments, as
    in shell completion) gets the whole app.
    """
    name = args[0] if args else None
    chosen = [info for info in app.registered_commands if _command_name(info) == name]
    if not chosen:
        return app
    import copy

    single = copy.copy(app)  # the app's settings and callback, with one command
    single.registered_commands = chosen
    return single


def _command_name(info: Any) -> str:
    from typer.main import get_command_name

    return info.name or get_command_name(info.callback.__name__)


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
