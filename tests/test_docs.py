"""Every command and every option is documented, in --help (with an example) and in the README."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys

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


def recipes() -> list[tuple[str, str]]:
    """The README's Recipes: (language, code) of each block, in order."""
    section = README.split("## Recipes", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(sh|python)\n(.*?)```", section, flags=re.S)


def test_the_readme_has_a_recipe_for_each_persona():
    assert [language for language, _ in recipes()] == ["sh", "sh", "python"]


@pytest.mark.skipif(shutil.which("mlsalary") is None, reason="the mlsalary entry point is not installed (pip install .)")
def test_the_readme_recipes_run_as_written(tmp_path):
    # Run from a copy of the sample data (the recipes name sample_data/...), through the
    # installed entry point and a fresh Python, as a reader would paste them.
    shutil.copytree(ROOT / "sample_data", tmp_path / "sample_data")
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR")} | {"NO_COLOR": "1"}
    (_, negotiator), (_, recruiter), (_, notebook) = recipes()
    result = subprocess.run(["bash", "-c", negotiator], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "210,000 is" in result.stdout and "respondents to the Stack Overflow" in result.stdout and "location=Austin, TX" in result.stdout
    result = subprocess.run(["bash", "-c", recruiter], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "sample_data" / "candidates.csv", newline="") as given, open(tmp_path / "ranges.csv", newline="") as out:
        people, ranges = list(csv.DictReader(given)), list(csv.DictReader(out))
    assert [r["Candidate"] for r in ranges] == [p["Candidate"] for p in people]
    answered = [r for r in ranges if r["p50"]]
    assert len(answered) >= len(people) - 1 and all(r["error"] for r in ranges if not r["p50"])  # Cambridge is asked about
    result = subprocess.run([sys.executable, "-c", notebook], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert all(p["Candidate"] in result.stdout for p in people)


def test_the_command_list_puts_the_questions_first_and_cuts_no_summary():
    from typer.testing import CliRunner

    listing = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "80", "NO_COLOR": "1"}, terminal_width=80).stdout
    lines = listing.split("Commands:", 1)[1].strip().splitlines()
    assert [line.split()[0] for line in lines] == ["estimate", "batch", "compare", "trend", "figures", "options", "info", "train", "evaluate"]
    assert not any(line.rstrip().endswith("...") for line in lines) and max(map(len, lines)) <= 80
