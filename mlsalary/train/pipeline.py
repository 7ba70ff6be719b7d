"""Training: data folder in, a verified model folder (model + metadata) out.

The shipped model is rebuilt by `mlsalary train --data ../shared/data`: the split is a hash of
row content and every fit has a fixed seed, so the same data gives the same model.
"""

from __future__ import annotations

import json
import platform
from datetime import datetime, timezone
from typing import Any, Callable

from mlsalary import __version__, locations, taxonomy
from mlsalary.train import evaluation, levels, sources, store
from mlsalary.train.salary_model import SalaryModel, assign_split
from mlsalary.factors import FACTORS, LABELLED_FACTORS
from mlsalary.runtime.quantiles import QUANTILES
from mlsalary.runtime.format import ModelMetadata

Progress = Callable[[str], None]


def split_data(data: sources.TrainingData):
    split = assign_split(data.table)
    return {name: data.table[split == name].reset_index(drop=True) for name in ("train", "calibration", "test")}


def train(data_dir, out_dir, progress: Progress | None = None, **params) -> ModelMetadata:
    step = progress or (lambda message: None)
    step("reading and harmonizing the survey files")
    data = sources.load_training_data(data_dir)
    parts = split_data(data)
    model = SalaryModel(**params).fit(parts["train"], parts["calibration"], progress=step)
    step("evaluating on the held-out test split")
    report = evaluation.evaluate(model, parts["train"], parts["test"])
    metadata = build_metadata(model, data, parts, report)
    files = {}
    oews = sources.find_oews_areas(data_dir)
    if oews is not None:
        # US locations: OEWS medians by area, a relative adjustment beside the model (locations.py).
        table = sources.read_oews_areas(oews)
        files[locations.LOCATIONS_FILE] = (json.dumps(table, indent=1, sort_keys=True) + "\n").encode()
        metadata["locations"] = {
            **table["source"],
            "areas": {kind: sum(1 for a in table["areas"].values() if a["type"] == kind) for kind in ("metro", "state")},
            "occupations": dict(locations.OCCUPATIONS),
            "occupation": locations.OCCUPATION,
            "method": f"US estimate x (area annual median wage / national annual median wage) of {locations.OCCUPATIONS[locations.OCCUPATION]} "
            f"({locations.OCCUPATION}), for every role; all five quantiles shift alike",
            "validated": False,
        }
    h1b = levels.find_h1b(data_dir)
    if h1b is not None:
        # Levels above senior: the H-1B ratio to senior at the same employer (train/levels.py).
        step("measuring levels above senior (H-1B filings)")
        metadata["levels"] = levels.level_ratios(h1b)
    return store.save(model, out_dir, metadata, files)


def estimates_text(model: SalaryModel) -> str:
    survey = "Stack Overflow Developer Survey" if model.schema_.reference_source_.startswith("stackoverflow") else "aijobs.net salary survey"
    return f"annual total compensation in USD as reported to the {survey} {model.schema_.reference_year_}"


def build_metadata(model: SalaryModel, data: sources.TrainingData, parts, report) -> ModelMetadata:
    import joblib
    import numpy
    import pandas
    import sklearn

    schema = model.schema_
    return {
        "mlsalary": __version__,
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "estimates": estimates_text(model),
        "method": model.method,
        "reference": {"source": schema.reference_source_, "year": schema.reference_year_},
        "comp_window_usd": list(sources.COMP_WINDOW),
        "quantiles": list(QUANTILES),
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": numpy.__version__,
            "pandas": pandas.__version__,
            "joblib": joblib.__version__,
        },
        "training_data": {
            "fingerprint_sha256": data.fingerprint,
            "files": [
                {
                    "file": f.path.name,
                    "format": f.format,
                    "source": f.source,
                    "sha256": f.sha256,
                    "rows_read": f.rows_read,
                    "rows_kept": f.rows_kept,
                    "rows_dropped": f.dropped,
                }
                for f in data.files
            ],
            "rows_by_source_year": data.rows_by_source_year(),
            "split_rows": {name: int(len(part)) for name, part in parts.items()},
            "unmapped_labels": {k: dict(v) for k, v in data.unmapped.items()},
        },
        "params": {k: getattr(model, k) for k in ("max_iter", "learning_rate", "max_leaf_nodes", "min_samples_leaf", "l2_regularization", "background_size", "masked_copies", "min_group_rows", "random_state", "interaction", "unrecorded", "additive")},
        "additive": model.shift_rows_,
        "schema": {
            "factors": list(FACTORS),
            "values": {name: list(values) for name, values in taxonomy.FACTOR_VALUES.items()},
            "countries_modelled": list(schema.countries_),
            "skills_modelled": list(schema.skills_),
            "columns": list(schema.columns_),
        },
        "support": support_counts(parts["train"], schema),
        "sources": sources_card(data),
        "calibration": {"rows": model.calibration_size_, "margins_log": model.conformal_},
        "baseline_usd": round(model.baseline_),
        "held_out": evaluation.summary(report),
    }


def support_counts(train, schema) -> dict[str, Any]:
    """How many training respondents back each value (aggregate counts only, no rows)."""
    by_value: dict[str, dict[str, int]] = {}
    for name in LABELLED_FACTORS:
        counts = train[name].value_counts()
        by_value[name] = {str(k): int(v) for k, v in counts.items()}
    skills: dict[str, int] = {}
    for cell in train["skills"].dropna():
        for skill in filter(None, cell.split(";")):
            skills[skill] = skills.get(skill, 0) + 1
    by_value["skills"] = dict(sorted(skills.items(), key=lambda kv: -kv[1]))
    country_role: dict[str, dict[str, int]] = {}
    for (country, role), n in train.groupby(["country", "role"]).size().items():
        country_role.setdefault(str(country), {})[str(role)] = int(n)
    return {"rows": int(len(train)), "by_value": by_value, "country_role": country_role}


def sources_card(data: sources.TrainingData) -> list[dict[str, Any]]:
    card = []
    rows = data.rows_by_source_year()
    for f in data.files:
        survey = "aijobs" if f.format == "aijobs" else "stackoverflow"
        info = dict(sources.SURVEYS_INFO[survey])
        years = sorted(rows.get(f.source, {}))
        info["attribution"] = info["attribution"].format(year="/".join(years))
        card.append({"source": f.source, "file": f.path.name, "years": years, "rows_used": f.rows_kept, **info})
    return card
