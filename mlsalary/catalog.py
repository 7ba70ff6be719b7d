"""What the model knows, read from its metadata: the accepted values of each factor (with the
training rows behind them and their aliases) and the model card. No model loading."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlsalary import taxonomy
from mlsalary.errors import ModelError
from mlsalary.factors import NUMERIC_LIMITS, REGISTRY

# The factors whose values `mlsalary options` counts in the training rows.
LISTED_FACTORS: tuple[str, ...] = tuple(f.name for f in REGISTRY if f.kind in ("category", "country", "skills"))

if TYPE_CHECKING:
    from mlsalary.runtime.format import ModelMetadata


def _support(metadata: ModelMetadata) -> dict[str, Any]:
    if "support" not in metadata:
        raise ModelError("this model's metadata has no per-value row counts; retrain it with `mlsalary train`")
    return metadata["support"]


def options(metadata: ModelMetadata, factor: str | None) -> dict[str, Any]:
    _support(metadata)
    if factor is None:
        summary = {}
        for name in LISTED_FACTORS:
            rows = _rows(metadata, name)
            summary[name] = {"values": len(rows), "most_rows": sorted(rows, key=lambda v: -rows[v])[:6]}
        for name, limit in NUMERIC_LIMITS.items():
            summary[name] = {"values": f"a number of years >= 0 (0-{limit:g})"}
        if metadata.get("locations"):
            areas = metadata["locations"].get("areas", {})
            summary["location"] = {"values": f"a US metro ({areas.get('metro', 0)}), city or state ({areas.get('state', 0)}), or a country; see `mlsalary options location`"}
        return summary
    return {"factor": factor, "training_rows": metadata["support"]["rows"], "values": _values(metadata, factor)}


LOCATION_FORMS = (
    ("US state", "Texas, TX, District of Columbia"),
    ("OEWS metro or a principal city in its name", "San Jose-Sunnyvale-Santa Clara, CA; San Jose; Sunnyvale"),
    ("City, ST", "Austin, TX; Portland, OR; Columbus, OH"),
    ("other US city (15,000+ people)", "Palo Alto -> the metro whose principal city is nearest within 60 km in its state, else the state"),
    ("a city or country outside the US", "Berlin, London, Germany -> the country (location inside it is not modelled)"),
    ("a name in several states", "Portland, Columbus, Springfield -> an error listing 'City, ST' candidates"),
)


def location_options(folder) -> dict[str, Any]:
    """What `--location` accepts, from the model folder's locations.json (no place database)."""
    from pathlib import Path

    from mlsalary import locations
    from mlsalary.runtime.format import read_metadata

    metadata = read_metadata(folder)
    table = locations.Table.load(Path(folder), metadata.get("artifacts", {}))
    if table is None:
        raise ModelError(locations.NO_TABLE)
    areas = table.areas.values()
    return {
        "factor": "location",
        "forms": [{"form": form, "examples": examples} for form, examples in LOCATION_FORMS],
        "aliases": dict(locations.PLACE_ALIASES),
        "states": sorted(f"{a['states'][0]} {a['name']}" for a in areas if a["type"] == "state"),
        "metros": sorted(a["name"] for a in areas if a["type"] == "metro"),
        "source": table.source,
        "caveat": locations.CAVEAT,
    }


def _rows(metadata: ModelMetadata, factor: str) -> dict[str, int]:
    """Accepted value -> training rows, in listing order (most rows first for countries and
    skills). Needs no alias tables, so the summary needs no country database."""
    rows = metadata["support"]["by_value"].get(factor, {})
    if factor == "country":
        modelled = set(metadata["schema"]["countries_modelled"])
        codes = sorted(set(rows) | modelled, key=lambda c: (-rows.get(c, 0), c))  # ties by code: stable across runs
    elif factor == "skills":
        codes = sorted(taxonomy.SKILLS, key=lambda s: (-rows.get(s, 0), s))
    else:
        codes = list(taxonomy.FACTOR_VALUES[factor])
    return {code: rows.get(code, 0) for code in codes}


def _values(metadata: ModelMetadata, factor: str) -> list[dict[str, Any]]:
    aliases = taxonomy.aliases(factor)
    rows = _rows(metadata, factor)
    if factor == "seniority":
        # A level above senior has no survey rows: its step from senior (H-1B filings) is listed.
        from mlsalary import ladder

        stepped = ladder.steps(metadata)  # type: ignore[arg-type]
        above = taxonomy.above_senior()
        return [
            {"value": v, "rows": n, "aliases": aliases.get(v, []), **({"step": stepped.get(v)} if v in above else {})}
            for v, n in rows.items()
        ]
    if factor not in ("country", "skills"):
        return [{"value": v, "rows": n, "aliases": aliases.get(v, [])} for v, n in rows.items()]
    modelled = set(metadata["schema"]["countries_modelled" if factor == "country" else "skills_modelled"])
    name = taxonomy.country_name if factor == "country" else taxonomy.SKILLS.__getitem__
    return [
        {"value": v, "name": name(v), "rows": n, "modelled": v in modelled, "aliases": aliases.get(v, [])[:8]}
        for v, n in rows.items()
    ]


CARD_FIELDS = ("model_version", "estimates", "comp_window_usd", "sources", "held_out", "versions")


def model_card(metadata: ModelMetadata) -> dict[str, Any]:
    missing = [name for name in CARD_FIELDS if not metadata.get(name)]
    if missing or not isinstance(metadata["held_out"], dict) or len(metadata["comp_window_usd"]) != 2:
        shown = ", ".join(missing) or "held_out, comp_window_usd"
        raise ModelError(f"this model's metadata lacks the model card ({shown}); retrain it with `mlsalary train`")
    held = metadata.get("held_out", {})
    model = held.get("model", {})
    ml = held.get("ml_roles") or {}
    return {
        "model_version": metadata.get("model_version"),
        "created": metadata.get("created"),
        "estimates": metadata.get("estimates"),
        "currency": "USD",
        "comp_window_usd": metadata.get("comp_window_usd"),
        "sources": metadata.get("sources", []),
        "training_rows": metadata.get("training_data", {}).get("split_rows"),
        "held_out": {
            "rows": model.get("rows"),
            "coverage_p10_p90": model.get("coverage_p10-p90"),
            "coverage_p25_p75": model.get("coverage_p25-p75"),
            "pinball_loss_log": model.get("pinball_p10_p50_p90"),
            "median_abs_pct_error": model.get("mdape_median"),
            "better_than_lookup_table": held.get("improvement_over_lookup_pinball"),
            "better_than_loglinear": held.get("improvement_over_loglinear_pinball"),
            "ml_roles": {
                "rows": ml.get("rows"),
                "coverage_p10_p90": ml.get("coverage_p10-p90"),
                "median_abs_pct_error": ml.get("mdape_median"),
            },
            "reproduce": "mlsalary evaluate --data DIR",
        },
        # Written at training time by the code that fitted the model (SalaryModel.method); older
        # models did not record it.
        "method": metadata.get("method") or "not recorded by this model (trained by an older mlsalary)",
        "levels": metadata.get("levels"),
        "versions": metadata.get("versions"),
        "locations": metadata.get("locations"),
        "artifacts": metadata.get("artifacts"),
        "training_data_sha256": metadata.get("training_data", {}).get("fingerprint_sha256"),
    }
