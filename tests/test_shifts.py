"""The additive factors (train/additive.py, runtime/shifts.py): a shift is the data's adjusted
effect, carried intact to the estimate; a factor not given shifts nothing; a damaged or forged
shift table is refused."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mlsalary.profile import Profile
from mlsalary.runtime.features import FeatureSchema
from mlsalary.runtime.shifts import Shifts
from mlsalary.train.additive import fit_shifts
from mlsalary.train.salary_model import SalaryModel

from synthetic import synthetic_table


def industry_table(rows: int = 6000, seed: int = 0) -> pd.DataFrame:
    # Stack Overflow-like rows: in the US finance pays exactly 10% more and healthcare 10% less
    # than software at any experience (experience confounded with industry); elsewhere industry
    # pays nothing. Synthetic, for this test only.
    rng = np.random.default_rng(seed)
    country = rng.choice(["US", "DE"], rows)
    industry = rng.choice(["software-and-it", "finance", "healthcare"], rows, p=[0.5, 0.25, 0.25])
    experience = rng.integers(0, 20, rows).astype(float) + (industry == "finance") * 4
    effect = np.where(country == "US", np.where(industry == "finance", math.log(1.1), np.where(industry == "healthcare", math.log(0.9), 0.0)), 0.0)
    log_pay = 11 + 0.04 * experience + 0.5 * (country == "US") + effect + rng.normal(0, 0.3, rows)
    return pd.DataFrame({
        "source": "stackoverflow-2024", "survey": "stackoverflow", "year": 2024, "comp_usd": np.exp(log_pay),
        "experience": experience, "years_coding": experience + 2, "seniority": None, "country": country,
        "industry": industry, "education": "bachelor", "role": "backend", "company_size": None, "remote": None,
        "skills": None, "skill_categories": None,
    })


def shift_of(shifts: Shifts, schema: FeatureSchema, **fields) -> float:
    return float(shifts(schema.encode_profiles([Profile(**fields)]))[0])


def test_an_industry_shift_is_the_adjusted_effect_in_its_region():
    table = industry_table()
    schema = FeatureSchema().fit(table)
    shifts, summary = fit_shifts(table, schema)
    finance = shift_of(shifts, schema, country="US", industry="finance") - shift_of(shifts, schema, country="US", industry="software-and-it")
    healthcare = shift_of(shifts, schema, country="US", industry="healthcare") - shift_of(shifts, schema, country="US", industry="software-and-it")
    assert finance == pytest.approx(math.log(1.1), abs=0.03)  # experience held fixed: not +25%
    assert healthcare == pytest.approx(math.log(0.9), abs=0.03)
    assert abs(shift_of(shifts, schema, country="DE", industry="finance")) < 0.03  # elsewhere: none
    assert shift_of(shifts, schema, country="US") == 0.0  # not given: no shift
    assert summary["industry"]["US"]["rows"] == (table["country"] == "US").sum()


def test_the_model_carries_a_shift_to_every_quantile_and_the_trees_do_not_see_the_factor():
    model = SalaryModel(max_iter=40, background_size=8).fit(industry_table(seed=1), industry_table(2000, seed=2))
    X = model.schema_.encode_profiles([Profile(country="US", experience=5.0, industry=level) for level in ("finance", "software-and-it")])
    q = np.log(model.predict(X))
    assert q[0] - q[1] == pytest.approx(math.log(1.1), abs=0.03)
    assert np.allclose(q[0] - q[1], q[0, 2] - q[1, 2])  # every quantile alike
    trees_only = np.column_stack([e.predict(X) for e in model.estimators_])
    assert np.array_equal(trees_only[0], trees_only[1])


def test_a_listed_skill_moves_pay_by_its_adjusted_effect_and_a_long_list_by_less_than_the_sum():
    # synthetic_table: pytorch pays +0.2 in log, listed by 40% (python by everyone).
    table = synthetic_table(6000, 3)
    schema = FeatureSchema().fit(table)
    shifts, _ = fit_shifts(table, schema)
    assert shift_of(shifts, schema, country="US") == 0.0
    python = shift_of(shifts, schema, country="US", skills=("python",))  # everyone lists it: no premium
    pytorch = shift_of(shifts, schema, country="US", skills=("pytorch",))
    assert pytorch - python == pytest.approx(0.2, abs=0.04)  # listed vs not listed, in full
    both = shift_of(shifts, schema, country="US", skills=("python", "pytorch"))
    assert both - python > 0.12  # a short list: the skill's effect (less what a longer list says)
    slopes = shifts.slopes[0]
    assert slopes[1] == slopes[2] == 1.0 and np.all(np.diff(slopes[2:]) <= 0)  # lists of two at most here


def test_shifts_round_trip_through_json_and_give_the_same_values():
    table = industry_table()
    schema = FeatureSchema().fit(table)
    shifts, _ = fit_shifts(table, schema)
    again = Shifts.from_json(shifts.to_json(), len(schema.columns_))
    X = schema.encode_profiles([Profile(country=c, industry=i) for c in ("US", "DE", None) for i in ("finance", "healthcare", None)])
    assert np.array_equal(again(X), shifts(X))


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.pop("tables"),
        lambda d: d.update(extra=1),
        lambda d: d.update(columns=[10_000]),
        lambda d: d.update(columns=["1"]),
        lambda d: d.update(tables=[[[float("nan")]]]),
        lambda d: d.update(tables=[[[50.0, 0.0, 0.0]], [[0.0, 0.0, 0.0]]]),
        lambda d: d.update(region_codes="US"),
        lambda d: d.update(slopes=[[0.0, 1e9]]),
    ],
)
def test_a_damaged_or_forged_shift_table_is_refused(damage):
    table = industry_table()
    schema = FeatureSchema().fit(table)
    document = fit_shifts(table, schema)[0].to_json()
    document["skill_columns"], document["premiums"] = [0], [[0.0], [0.0]]
    document["intercepts"] = document["slopes"] = [[0.0, 0.0], [0.0, 0.0]]
    Shifts.from_json(document, len(schema.columns_))  # the undamaged one loads
    damage(document)
    with pytest.raises(ValueError, match="shifts"):
        Shifts.from_json(document, len(schema.columns_))


def test_a_model_folder_with_a_forged_shift_is_refused_in_one_line(tmp_path):
    # A forged forest.json could otherwise make pay move 50x for an industry; the hashes in
    # metadata.json are updated too, as a forger would.
    import json
    import shutil

    from typer.testing import CliRunner

    from mlsalary.cli import app
    from mlsalary.runtime import format

    folder = tmp_path / "model"
    folder.mkdir()
    for name in ("forest.npz", "forest.json", "metadata.json"):
        shutil.copyfile(format.shipped_model_dir() / name, folder / name)
    document = json.loads((folder / "forest.json").read_text())
    document["shifts"]["tables"][0][0][0] = 4.0
    (folder / "forest.json").write_text(json.dumps(document))
    metadata = json.loads((folder / "metadata.json").read_text())
    metadata["artifacts"]["forest.json"] = format.artifact(folder / "forest.json")
    (folder / "metadata.json").write_text(json.dumps(metadata))
    result = CliRunner().invoke(app, ["estimate", "--country", "US", "--model", str(folder)], env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert result.exit_code == 4 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "shifts.tables" in lines[0] and "Traceback" not in result.stderr


def test_contributions_of_many_profiles_are_those_of_each_one():
    # batch --explain queries the model once per group of profiles (explanations.contributions_many),
    # and the trees once per coalition of the factors they read: the same numbers as one by one.
    from mlsalary import explanations
    from mlsalary.estimates import Estimator

    estimator = Estimator.load()
    profiles = [
        Profile(country="US", experience=5.0, role="ml-engineer", company_size="enterprise", industry="finance", remote="remote", skills=("python", "aws")),
        Profile(country="DE", experience=2.0, role="data-scientist", industry="healthcare"),
        Profile(country="US", experience=5.0, role="backend", company_size="small", industry="finance", remote="hybrid", skills=("go",)),
        Profile(country="IN", skills=("java",)),
        Profile(),
    ]
    X = estimator.model.schema_.encode_profiles(profiles)
    assert explanations.contributions_many(estimator.model, X) == [explanations.contributions(estimator.model, x) for x in X]

    class TreesOnly:  # the same model queried the plain way: every coalition through predict_median
        schema_ = estimator.model.schema_
        predict_median = staticmethod(estimator.model.predict_median)

    assert [explanations.contributions(TreesOnly(), x) for x in X] == [explanations.contributions(estimator.model, x) for x in X]
    assert estimator.explain_many(profiles) == [estimator.explain(p) for p in profiles]
