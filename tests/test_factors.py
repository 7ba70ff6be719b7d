"""The factor registry is the one place the inputs are written down: every consumer reads it."""

from __future__ import annotations

import dataclasses
import io
import sys

import pytest
from typer.testing import CliRunner

from mlsalary import factors
from mlsalary.batch import HEADER_ALIASES, map_header
from mlsalary.cli import app, main
from mlsalary.cli.environment import Environment
from mlsalary.errors import InputError
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


def test_main_builds_the_named_command_alone_and_answers_as_the_whole_app(capsys, monkeypatch):
    """main() gives Typer only the command its first argument names (building every command's
    parameters is most of Typer's start-up); output, help and errors stay the whole app's."""
    app_module = sys.modules["mlsalary.cli.app"]  # (mlsalary.cli.app, the attribute, is the Typer app)

    assert [info.callback.__name__ for info in app_module._app_for(["estimate", "--json"]).registered_commands] == ["estimate"]
    for args in (["--help", "estimate"], ["estimat"], []):
        assert app_module._app_for(args) is app

    def run(args):
        with pytest.raises(SystemExit) as done:
            main(args, env=Environment(stdout=sys.stdout, stderr=sys.stderr, environ={"NO_COLOR": "1"}))
        captured = capsys.readouterr()
        return done.value.code or 0, captured.out, captured.err

    cases = (
        ["estimate", "--country", "DE", "--experience", "5", "--json"], ["estimate", "--help"],
        ["compare", "--by", "country=US,DE", "--csv"], ["estimate", "--bogus"], ["options", "--json", "remote"],
    )
    alone = [run(args) for args in cases]
    monkeypatch.setattr(app_module, "_app_for", lambda args: app)
    assert [run(args) for args in cases] == alone
    assert [status for status, _out, _err in alone] == [0, 0, 0, 2, 0]


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


# -- adding a factor touches the registry, a taxonomy table and a reader, nowhere else ---------

DUMMY_FACTOR = '''    Factor(
        "team_size", "category", "solo | small | large team.", "TEAM", "Team size",
        aliases=("team", "team members"),
    ),
'''
DUMMY_TABLE = "value,label,note\nsolo,Just me,\nsmall,Small team,\nsmall,2-9,\nlarge,Large team,\nlarge,10+,\n"
DUMMY_READER = ('''            "industry": raw["Industry"] if "Industry" in raw.columns else None,\n''',
                '''            "team_size": raw["TeamSize"] if "TeamSize" in raw.columns else None,\n''')

DUMMY_CHECKS = r'''
import json, sys
from pathlib import Path
import numpy as np
from typer.testing import CliRunner

from mlsalary import explanations, factors
from mlsalary.train import sources
from mlsalary.batch import map_header
from mlsalary.cli import app
from mlsalary.train.salary_model import SalaryModel
from mlsalary.errors import InputError
from mlsalary.profile import Profile
sys.path.insert(0, sys.argv[2])
from synthetic import synthetic_table

assert "team_size" in factors.FACTORS and "team_size" in factors.CATEGORICAL_FACTORS
profile = Profile.from_mapping({"team_size": "Small team", "country": "DE", "experience": 5})
assert profile.team_size == "small", profile
help_text = CliRunner().invoke(app, ["estimate", "--help"], terminal_width=200).output
assert "--team-size" in help_text and "MLSALARY_TEAM_SIZE" in help_text
assert "--team-size" in CliRunner().invoke(app, ["compare", "--help"], terminal_width=200).output
assert map_header(["Team Members"])[0] == {"team_size": 0}
assert "team_size" in factors.VALUE_FACTORS

# A reader that carries it: the 2024 subset fixture with a TeamSize column.
data = Path(sys.argv[3])
table = sources.load_training_data(data).table
assert set(table["team_size"].dropna()) == {"small", "large"}, table["team_size"].value_counts(dropna=False)
assert table.loc[table["source"] != "stackoverflow-2024", "team_size"].isna().all()

# The model learns it and explains it: a contribution row of its own, adding up.
def rows(n, seed):
    t = synthetic_table(n, seed)
    rng = np.random.default_rng(seed + 10)
    team = rng.choice(["solo", "small", "large"], n)
    t["team_size"] = team
    t["comp_usd"] = t["comp_usd"] * np.where(team == "large", 1.3, 1.0)
    return t
model = SalaryModel(max_iter=30, min_samples_leaf=10, background_size=16).fit(rows(2500, 1), rows(600, 2))
x = model.schema_.encode_profiles([Profile.from_mapping({"team_size": "large", "country": "DE", "experience": 5})])
contributions, baseline = explanations.contributions(model, x[0])
assert "team_size" in contributions and contributions["team_size"] > 0, contributions
print("ok", json.dumps({k: round(v) for k, v in contributions.items()}))
'''


def test_a_new_factor_needs_the_registry_a_table_and_a_reader(tmp_path):
    """CONTRIBUTING's recipe, applied to a copy of the package: a dummy factor `team_size`
    added in the registry, its taxonomy table and the 2024 reader reaches Profile, the CLI
    options, batch headers, the training table, the model and the contributions."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    package = tmp_path / "src" / "mlsalary"
    shutil.copytree(root / "mlsalary", package, ignore=shutil.ignore_patterns("__pycache__"))
    changed = {}
    registry = package / "factors.py"
    text = registry.read_text()
    anchor = '    Factor(\n        "location", "place",'
    assert anchor in text
    registry.write_text(text.replace(anchor, DUMMY_FACTOR + anchor))
    changed["mlsalary/factors.py"] = DUMMY_FACTOR.count("\n")
    (package / "taxonomy" / "data" / "team_size.csv").write_text(DUMMY_TABLE)
    changed["mlsalary/taxonomy/data/team_size.csv"] = DUMMY_TABLE.count("\n")
    reader = package / "train" / "sources.py"
    text = reader.read_text()
    assert DUMMY_READER[0] in text
    reader.write_text(text.replace(DUMMY_READER[0], DUMMY_READER[0] + DUMMY_READER[1]))
    changed["mlsalary/train/sources.py"] = 1
    assert sum(changed.values()) <= 12  # the whole change: see CONTRIBUTING.md

    data = tmp_path / "data"
    data.mkdir()
    fixture = (root / "sample_data" / "fixtures" / "so2024_comp_workexp_subset.csv").read_text().splitlines()
    teams = ["Small team", "10+"]
    lines = [fixture[0] + ",TeamSize"] + [line + "," + teams[i % 2] for i, line in enumerate(fixture[1:])]
    (data / "so2024.csv").write_text("\n".join(lines) + "\n")
    shutil.copy(root / "sample_data" / "fixtures" / "aijobs_salaries.csv", data / "aijobs.csv")

    result = subprocess.run(
        [sys.executable, "-c", DUMMY_CHECKS, str(package.parent), str(root / "tests"), str(data)],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(package.parent), "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("ok"), result.stdout


@pytest.mark.parametrize(
    "typed,name",
    [("experience", "experience"), ("Years-Coding", "years_coding"), ("--years-coding", "years_coding"), ("yoe", "experience"),
     ("title", "role"), ("level", "seniority"), ("degree", "education"), ("city", "location")],
)
def test_lookup_reads_a_factor_as_its_options_are_spelled(typed, name):
    assert factors.lookup(typed, field="--by") == name


def test_lookup_names_the_field_and_the_nearest_factor():
    with pytest.raises(InputError) as error:
        factors.lookup("contry", field="--by")
    assert error.value.field == "--by" and str(error.value) == "unknown factor 'contry'; did you mean 'country'?"
    with pytest.raises(InputError, match="'experience' cannot be used here; use one of: seniority"):
        factors.lookup("yoe", field="FACTOR", among=factors.VALUE_FACTORS)


def test_every_command_reads_factor_names_the_same_way():
    # --by, --what-if and `options FACTOR` give the same answer and the same message.
    from mlsalary import explore, negotiation

    assert explore.parse_by("yoe=1,2")[0] == negotiation.parse_change("yoe=1").factor == "experience"
    messages = []
    for call in (lambda: explore.parse_by("contry=US"), lambda: negotiation.parse_change("contry=US")):
        with pytest.raises(InputError) as error:
            call()
        messages.append(str(error.value))
    assert all("unknown factor 'contry'" in m and "did you mean 'country'?" in m for m in messages)
