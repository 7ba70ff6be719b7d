"""Every command and every option is documented, in --help (with an example) and in the README."""

from __future__ import annotations

import re

import pytest
import typer.main

from mlsalary.cli import app

from conftest import ROOT

README = (ROOT / "README.md").read_text()
# The manual: the README is the front door, docs/ holds every command and option.
MANUAL = README + "".join(path.read_text() for path in sorted((ROOT / "docs").glob("*.md")))
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
def test_every_command_and_option_is_in_the_manual(name):
    assert re.search(rf"mlsalary {name}\b", MANUAL), name
    for param in COMMAND.commands[name].params:
        if param.param_type_name == "option":
            assert any(opt in MANUAL for opt in param.opts), (name, param.opts)


def test_the_readme_is_a_front_door_that_links_the_manual():
    assert len(README.splitlines()) <= 300
    for name in ("usage", "accuracy", "method", "speed", "security", "cli-reference", "development", "architecture"):
        assert f"docs/{name}.md" in README, name


def test_readme_starts_with_the_two_newcomer_commands():
    head = "\n".join(README.splitlines()[:25])
    assert "pip install" in head and "mlsalary estimate" in head and "pytest" in head


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    command = ci.strip().splitlines()[-1]
    assert command in README
