"""Levels above senior (train/levels.py): the level words of titles as filed, and the ladder the
H-1B filings give within employers."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from mlsalary.train import levels

TITLES = {
    "Senior Software Engineer": "senior",
    "Sr. Machine Learning Engineer": "senior",
    "Senior Software Engineer II": "senior",  # a level word beats a numeral
    "Staff Software Engineer": "staff",
    "Senior Staff Data Scientist": "senior-staff",
    "Member of Technical Staff": "unmarked",  # not the word Staff
    "Senior Member of Technical Staff": "senior",
    "Principal Applied Scientist": "principal",
    "Sr Principal Engineer": "senior-principal",
    "Lead Software Engineer": "lead",
    "Technology Lead - US": "lead-role",  # "X Lead" is often a role, kept apart
    "Distinguished Engineer": "distinguished",
    "Vice President, Software Engineering": "vp title",  # a bank's corporate title
    "Software Engineer III": "numbered",
    "Software Engineer": "unmarked",
    "Machine Learning Intern": "intern",
    "Product Manager": "unmarked",
    "Engineering Manager": "manager",
}


def test_title_level_reads_the_level_words_as_the_rules_say():
    read = levels.title_level(pd.Series(list(TITLES)))
    assert dict(zip(TITLES, read)) == TITLES


@pytest.mark.data
def test_the_ladder_rises_through_staff_and_principal_at_the_same_employer(data_dir):
    path = levels.find_h1b(data_dir)
    if path is None:
        pytest.skip("no H-1B filings in MLSALARY_DATA")
    table = levels.level_ratios(path)
    ladder = table["levels"]
    assert ladder["lead"]["ratio"] < ladder["staff"]["ratio"] < ladder["principal"]["ratio"] < ladder["senior-principal"]["ratio"]
    assert ladder["staff"]["low"] > 1.05 and ladder["staff"]["rows"] > 500 and ladder["staff"]["employers"] > 100
    assert ladder["distinguished"]["thin"]
    assert table["interns"] < 10  # the filings hold (almost) no intern pay
    assert table["source"]["sha256"] and "no bonus or equity" in table["caveat"]
    assert os.path.basename(path) == table["source"]["file"]
