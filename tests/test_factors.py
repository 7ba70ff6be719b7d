"""The factor registry is the one place the inputs are written down: every consumer reads it."""

from __future__ import annotations

import dataclasses
import io

import pytest
from typer.testing import CliRunner

from mlsalary import factors
from mlsalary.batch import HEADER_ALIASES, map_header
from mlsalary.cli import app, main
from mlsalary.environment import Environment
from mlsalary.profile import Profile

runner = CliRunner()


def test_profile_fields_are_the_registry():
    names = [f.name for f in dataclasses.fields(Profile) if f.name != "readings"]
    assert tuple(names) == factors.FIELDS
    assert factors.FACTORS == tuple(f.name for f in factors.REGISTRY if f.kind != "place")


def test_every_factor_has_an_option_a_column_and_a_label():
    help_text = {command: runner.invoke(app, [command, "--help"], terminal_width=200).output for command in ("estimate", "compare", "trend")}
    for factor in factors.REGISTRY:
        assert factor.option in help_text["estimate"], factor.name
        if factor.kind != "place":
            assert factor.option in help_text["compare"] and factor.option in help_text["trend"], factor.name
        assert HEADER_ALIASES[factor.name] == factor.aliases
        positions, _ = map_header([factor.name.replace("_", " ").title()])
        assert positions == {factor.name: 0}
        for alias in factor.aliases:
            assert map_header([alias])[0] == {factor.name: 0}, alias
        assert factor.label and factor.metavar and factor.help


def test_options_lists_every_factor_with_values():
    result = runner.invoke(app, ["options", "--json"])
    assert result.exit_code == 0, result.output
    import json

    summary = json.loads(result.output)
    assert set(summary) == set(factors.FIELDS)


def test_an_environment_passed_in_holds_the_streams():
    """httpie-style: main(env=...) runs a command against the given streams, no patching."""
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdin=io.StringIO(""), stdout=out, stderr=err, environ={"NO_COLOR": "1"})
    with pytest.raises(SystemExit) as done:
        main(["estimate", "--country", "DE", "--experience", "5", "--json"], env=env)
    assert done.value.code == 0
    assert '"p50"' in out.getvalue() and err.getvalue() == ""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as done:
        main(["estimate", "--country", "Germny"], env=Environment(stdout=out, stderr=err, environ={}))
    assert done.value.code == 2
    assert out.getvalue() == "" and "country" in err.getvalue() and err.getvalue().count("\n") == 1


def test_the_environment_decides_colour():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for environ, coloured in (({}, True), ({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False)):
        out = Terminal()
        with pytest.raises(SystemExit):
            main(["options", "remote"], env=Environment(stdout=out, stderr=io.StringIO(), environ=environ))
        assert ("\x1b[" in out.getvalue()) == coloured, environ


@pytest.mark.parametrize("command", [["compare", "--by", "country=US,DE"], ["trend", "--country", "US"], ["figures"]])
def test_two_output_formats_at_once_is_a_usage_error(command):
    result = runner.invoke(app, [*command, "--json", "--csv"])
    assert result.exit_code == 2
    assert result.stdout == "" and result.stderr.count("\n") == 1 and "--json, --csv" in result.stderr


def test_a_location_can_come_from_the_environment():
    result = runner.invoke(app, ["estimate", "--role", "ml-engineer", "--json"], env={"MLSALARY_LOCATION": "Austin, TX"})
    assert result.exit_code == 0, result.output
    import json

    assert json.loads(result.stdout)["profile"]["location"].startswith("Austin")
