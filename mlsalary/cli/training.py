"""`mlsalary train` and `mlsalary evaluate`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from mlsalary.cli.output import json_text


from mlsalary.cli.app import (
    Command,
    DataOption,
    ModelOption,
    TrustOption,
    _examples,
    _progress,
    app,
    get_env,
    handle_errors,
    load_estimator,
    output_options,
    print_note,
    write_data,
)

# -- train and evaluate -------------------------------------------------------------------------


@app.command(short_help="Train the model on the survey files in --data.", cls=Command, epilog=_examples("mlsalary train --data ../shared/data --out models"))
@handle_errors
def train(
    data: DataOption,
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Model folder to write (new, empty, or a model folder: replaced only once the new model is complete).")] = Path("models"),
):
    """Train the model on the survey files in --data and write it to --out.

    Reads every known source file, harmonizes it, fits the quantile models on the training
    split, calibrates the ranges on the calibration split and records held-out metrics in
    the metadata. The same data always gives the same model.
    """
    from mlsalary.train import pipeline, store

    store.check_output_dir(out)  # refuse a bad --out now, not after the training
    steps = ["reading"] + [f"p{q}" for q in (10, 25, 50, 75, 90)] + ["calibrating", "background", "evaluating", "levels"]
    with _progress(len(steps)) as advance:
        metadata = pipeline.train(data, out, progress=advance)
    unmapped = metadata["training_data"]["unmapped_labels"]
    if unmapped:
        print_note(f"[yellow]Warning:[/yellow] labels with no mapping (treated as unknown): {json.dumps(unmapped)[:500]}")
    held = metadata["held_out"]["model"]
    print_note(
        f"Wrote {out}/ (model {metadata['model_version']}). Held-out: p10-p90 coverage "
        f"{held['coverage_p10-p90']:.1%}, p25-p75 coverage {held['coverage_p25-p75']:.1%}, "
        f"median abs. error {held['mdape_median']:.1%}."
    )


@app.command(short_help="Score the model on held-out rows: accuracy and effects.", cls=Command, epilog=_examples("mlsalary evaluate --data ../shared/data --out evaluation"))
@handle_errors
@output_options("json")
def evaluate(
    data: DataOption,
    out: Annotated[Optional[Path], typer.Option("--out", metavar="DIR", help="Also write evaluation.json and evaluation.md here.")] = None,
    output: str = "table",
    model: ModelOption = None,
    trust_model: TrustOption = False,
):
    """Score the model on its held-out test split, against two baselines.

    Prints coverage of the p10-p90 and p25-p75 ranges, pinball loss and median absolute %
    error, overall and per segment (roles, sources, experience bands, countries, estimated
    pay bands), for the model, a country x experience lookup table and a log-linear
    regression; then the same rows with each factor withheld (is "not given" marginalized?),
    each source's bias against the reference estimate, what moves pay: each factor level's
    effect on the reference estimate beside the data's adjusted effect, with the targets met;
    and, with the H-1B filings in the data folder, how well each OEWS occupation's state wage
    ratios match what the same employers offer in different states.
    """
    from mlsalary.train import evaluation, levels, pipeline, places, sources

    estimator = load_estimator(model, trust_model)
    data_set = sources.load_training_data(data)
    pinned = estimator.metadata.get("training_data", {}).get("fingerprint_sha256")
    if pinned and pinned != data_set.fingerprint:
        print_note(
            "[yellow]Warning:[/yellow] this data is not the data the model was trained on "
            "(fingerprints differ): the test split may overlap its training rows."
        )
    parts = pipeline.split_data(data_set)
    check = places.state_check(levels.find_h1b(data), estimator.locations)
    report = evaluation.evaluate(estimator.model, parts["train"], parts["test"], check)
    report["model_version"] = estimator.version
    markdown = evaluation.to_markdown(report)
    env = get_env()
    if output == "json":
        write_data(report)
    else:
        env.stdout.write(markdown)
        env.stdout.write(
            f"\nPinball loss (log scale, mean of p10/p50/p90) vs lookup table: "
            f"{report['improvement_over_lookup_pinball']:+.1%} better; vs log-linear: "
            f"{report['improvement_over_loglinear_pinball']:+.1%} better.\n"
        )
    env.stdout.flush()
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "evaluation.json").write_text(json_text(report) + "\n")
        (out / "evaluation.md").write_text(markdown)
        print_note(f"Wrote {out / 'evaluation.json'} and {out / 'evaluation.md'}")


