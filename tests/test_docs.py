"""Every command and every option is documented, in --help (with an example) and in the README."""

from __future__ import annotations

import re

import pytest
import typer.main

from mlsalary.cli import app

from conftest import ROOT

README = (ROOT / "README.md").read_text()
COMMAND = typer.main.get_command(app)
COMMANDS = sorted(COMMAND.commands)


def test_the_commands_are_the_expected_ones():
    assert COMMANDS == ["batch", "compare", "estimate", "evaluate", "figures", "info", "options", "train", "trend"]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_and_an_example(name):
    command = COMMAND.commands[name]
    assert command.help and len(command.help) > 40
    assert "Example" in (command.epilog or "") and f"mlsalary {name}" in command.epilog


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_and_option_is_in_the_readme(name):
    assert re.search(rf"mlsalary {name}\b", README), name
    for param in COMMAND.commands[name].params:
        if param.param_type_name == "option":
            assert any(opt in README for opt in param.opts), (name, param.opts)


def test_readme_starts_with_the_two_newcomer_commands():
    head = "\n".join(README.splitlines()[:25])
    assert "pip install" in head and "mlsalary estimate" in head and "pytest" in head


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    command = ci.strip().splitlines()[-1]
    assert command in README
