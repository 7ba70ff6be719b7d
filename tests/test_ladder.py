"""Levels above senior at query time (ladder.py): a senior's range times the level's step, the
same in estimate, batch, the library and the contributions."""

from __future__ import annotations

import copy
import io
import json

import pytest

from mlsalary import Estimator, Profile
from mlsalary.cli.environment import Environment
from mlsalary.errors import InputError

# A stand-in ladder for the unit tests (the shipped one is measured from the H-1B filings).
LEVELS = {
    "base": "senior",
    "levels": {
        "staff": {"ratio": 1.2, "low": 1.1, "high": 1.3, "rows": 700, "employers": 150, "thin": False},
        "principal": {"ratio": 1.3, "low": 1.2, "high": 1.4, "rows": 800, "employers": 160, "thin": False},
    },
    "source": {"name": "test ladder"},
    "caveat": "base pay only",
}


@pytest.fixture(scope="module")
def with_ladder():
    shipped = Estimator.load()
    metadata = copy.deepcopy(shipped.metadata)
    metadata["levels"] = LEVELS
    return Estimator(shipped.model, metadata, folder=shipped._folder)


@pytest.fixture(scope="module")
def without_ladder():
    shipped = Estimator.load()
    metadata = copy.deepcopy(shipped.metadata)
    metadata.pop("levels", None)
    return Estimator(shipped.model, metadata, folder=shipped._folder)


def test_a_level_above_senior_is_a_seniors_range_times_its_step(with_ladder):
    senior = with_ladder.estimate(Profile(country="US", role="ml-engineer", seniority="senior"))
    staff = with_ladder.estimate(Profile(country="US", role="ml-engineer", seniority="staff"))
    for name, value in senior.quantiles.items():
        assert staff.quantiles[name] == pytest.approx(value * 1.2)
    assert sum(staff.contributions.values()) + staff.baseline == pytest.approx(staff.quantiles["p50"])
    assert staff.contributions["seniority"] - senior.contributions["seniority"] == pytest.approx(senior.quantiles["p50"] * 0.2)
    data = staff.to_dict()
    assert data["level"]["ratio"] == 1.2 and data["level"]["filings"] == 700 and data["level"]["caveat"] == "base pay only"
    assert "staff is estimated as senior x 1.20" in staff.level.text


def test_a_level_and_a_place_multiply_and_still_add_up(with_ladder):
    here = with_ladder.estimate(Profile.from_mapping({"seniority": "principal", "role": "ml-engineer", "location": "Seattle"}))
    senior = with_ladder.estimate(Profile.from_mapping({"seniority": "senior", "role": "ml-engineer", "location": "Seattle"}))
    assert here.quantiles["p50"] == pytest.approx(senior.quantiles["p50"] * 1.3)
    assert sum(here.contributions.values()) + here.baseline == pytest.approx(here.quantiles["p50"])


def test_a_title_sets_the_level(with_ladder):
    profile = Profile.from_mapping({"role": "Staff Machine Learning Engineer", "country": "US"})
    assert profile.seniority == "staff" and profile.role == "ml-engineer"
    assert Profile.from_mapping({"seniority": "L6"}).seniority == "staff"
    assert Profile.from_mapping({"seniority": "E8"}).seniority == "principal"


def test_a_model_without_a_ladder_says_so_for_that_field(without_ladder):
    with pytest.raises(InputError, match="no table of levels above senior") as raised:
        without_ladder.estimate(Profile(seniority="staff"))
    assert raised.value.field == "seniority"
    assert without_ladder.estimate(Profile(seniority="senior")).level is None


def test_batch_rows_with_levels_get_the_step_and_keep_every_row(with_ladder):
    from typer.testing import CliRunner

    from mlsalary.cli import app

    text = "country,role,seniority\nUS,ml-engineer,senior\nUS,ml-engineer,staff\nUS,ml-engineer,Principal\nUS,ml-engineer,wizard\n"
    result = CliRunner().invoke(app, ["batch", "-", "--output-format", "jsonl"], input=text, env={"NO_COLOR": "1"}, obj=Environment(estimator=with_ladder))
    rows = [json.loads(line) for line in io.StringIO(result.stdout)]
    assert len(rows) == 4
    assert rows[1]["p50"] == pytest.approx(rows[0]["p50"] * 1.2, abs=1)
    assert rows[2]["p50"] == pytest.approx(rows[0]["p50"] * 1.3, abs=1)
    assert rows[3]["error"] and "seniority" in rows[3]["error"]
