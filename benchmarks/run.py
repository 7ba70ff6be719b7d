"""Benchmarks for issue 4: whole-process timings of the CLI, plus the compiled model's gain.

    python benchmarks/run.py --data ../shared/data            # every case, 5 runs each
    python benchmarks/run.py --cases reference,help,options,estimate --runs 10
    python benchmarks/run.py --cases batch-cached,batch-all-different --runs 3 --inputs /tmp/bench
    python benchmarks/run.py --compiled-only                  # in-process micro-benchmark
    python benchmarks/run.py --forest --runs 3                # in-process: the forest evaluators

Inputs are built by resampling the factor columns (never the salaries) of the real survey
rows in MLSALARY_DATA or --data, and written to a temporary folder (or to --inputs, kept for
the next run), never into the repo. The batch cases: "batch 1M cached" (profiles repeat, as in
real files), "batch 50k all-different" (every row a different profile: each one is validated,
encoded and run through the trees), the same with the trees skipped (what the batch path costs
around the model) and "batch 1M all-different" (the same at length: memory).
Each case runs as a fresh process; the table gives median/min/max wall time, rows per second,
peak RSS (the child's own ru_maxrss, from os.wait4) and the ratio to the reference
`python -c "import sklearn.ensemble"` measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
MLSALARY = [PYTHON, "-m", "mlsalary"]
from mlsalary.factors import FACTORS as FACTOR_COLUMNS  # noqa: E402  (the registry: every model factor)
ALL_DIFFERENT_ROWS = 50_000
ESTIMATE_ARGS = ["estimate", "--experience", "5", "--country", "Germany", "--skills", "python,pytorch", "--education", "master", "--json"]

# A cold process doing what `mlsalary estimate ... --json` does with the compiled model:
# import, load, encode, 5-model predict, Shapley contributions (2^k coalitions of the k given factors).
COMPILED_ESTIMATE = """
import sys
from mlsalary import explanations
from mlsalary.profile import Profile
from mlsalary.runtime.compiled_model import CompiledModel
model = CompiledModel.load(sys.argv[1])
profile = Profile.from_mapping({"experience": 5, "country": "Germany", "skills": "python,pytorch", "education": "master"})
x = model.schema_.encode_profiles([profile])
quantiles = model.predict(x)[0]
contributions, baseline = explanations.contributions(model, x[0])
print(round(quantiles[2]), round(baseline), {k: round(v) for k, v in contributions.items()})
"""


# `mlsalary batch` with the trees replaced by zeros: what the batch path itself costs around
# the model (reading, validating, encoding, formatting, writing), the ceiling of a faster forest.
NO_TREES = """
import sys
import numpy as np
from mlsalary.runtime import forest
forest.Forest.raw = lambda self, X, outputs=None, **kwargs: np.zeros((len(X), self.n_outputs if outputs is None else len(outputs)))
from mlsalary.cli import main
main()
"""


DEFAULT_CASES = (
    "reference,floor,help,options,estimate,estimate-table,estimate-location,estimate-city-as-country,"
    "estimate-country-typo,batch-cached,batch-all-different,batch-all-different-no-trees,"
    "batch-all-different-1m,batch-memory,batch-explain,batch-raw-text,batch-raw-text-jsonl,batch-raw-text-1m,"
    "batch-raw-text-explain,train"
)

# Cases that end with another exit status than 0 by design.
EXPECTED_STATUS = {"estimate-country-typo": 2}


def run_once(command: list[str], env: dict[str, str], expected: int = 0) -> tuple[float, int, int, float]:
    """Wall seconds, peak RSS (KiB), exit status and CPU seconds (user + system, every thread)
    of one run of `command`."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != expected:
        error = process.stderr.read().decode(errors="replace")[-500:] if process.stderr else ""
        print(f"  ! exit {process.returncode}: {' '.join(command[:6])}...\n{error}", file=sys.stderr)
    if process.stderr:
        process.stderr.close()
    return elapsed, usage.ru_maxrss, process.returncode, usage.ru_utime + usage.ru_stime


def build_inputs(data_dir: Path, folder: Path, rows: int, explain_rows: int, all_different_rows: int, seed: int = 0) -> dict[str, Path]:
    """Resample the factor columns of real rows into CSV files (no salaries)."""
    import numpy as np
    import pandas as pd

    from mlsalary.train import sources

    table = sources.load_training_data(data_dir).table
    profiles = table[list(FACTOR_COLUMNS)].copy()
    rng = np.random.default_rng(seed)
    out = {}
    for name, n in (("batch", rows), ("explain", explain_rows)):
        sample = profiles.iloc[rng.integers(0, len(profiles), n)]
        path = folder / f"{name}_{n}.csv"
        sample.to_csv(path, index=False)
        out[name] = path
    # The worst case for batch: every row a different profile (no repeat to reuse). Speed on
    # a typical file size, and memory on a long one (far more profiles than batch caches).
    for name, n in (("all-different", all_different_rows), ("all-different-1m", rows)):
        sample = all_different(profiles, n, rng)
        path = folder / f"{name}.csv"
        sample.to_csv(path, index=False)
        out[name] = path
        (folder / f"{name}.rows").write_text(str(len(sample)))
        share = len(sample.drop_duplicates()) / max(1, len(sample))
        print(f"  {name}: {len(sample):,} rows, {share:.1%} of them distinct", file=sys.stderr)
    # Files as people have them: the surveys' own columns as written (long labels, semicolon
    # skill lists) and two text columns that batch passes through, every row different.
    raw = raw_text_profiles(data_dir, rng)
    for name, n in (("raw-text", all_different_rows), ("raw-text-1m", rows)):
        sample = all_different(raw, n, rng)
        sample.to_csv(folder / f"{name}.csv", index=False)
        (folder / f"{name}.rows").write_text(str(len(sample)))
        out[name] = folder / f"{name}.csv"
        print(f"  {name}: {len(sample):,} rows", file=sys.stderr)
        if name == "raw-text":
            sample.iloc[:RAW_EXPLAIN_ROWS].to_csv(folder / "raw-text-explain.csv", index=False)
            (folder / "raw-text-explain.rows").write_text(str(min(RAW_EXPLAIN_ROWS, len(sample))))
    # Memory with repeats: more distinct raw rows than batch keeps estimates for (100,000),
    # so its cache fills and is cleared. Each distinct real profile is written four times, with
    # four spellings of the same experience ("5", "5.00", " 5", "5.0"; unknown: "", "NA",
    # "na", " "), and the whole twice.
    distinct = profiles.drop_duplicates()
    spellings = []
    for k in range(4):
        copy = distinct.copy()
        copy["experience"] = copy["experience"].map(lambda v, k=k: _spelling(v, k))
        spellings.append(copy)
    memory = pd.concat(spellings * 2)
    memory.to_csv(folder / "memory.csv", index=False)
    (folder / "memory.rows").write_text(str(len(memory)))
    out["memory"] = folder / "memory.csv"
    return out


def all_different(profiles, n: int, rng):
    """`n` rows, no two alike: the distinct real profiles first, then real rows with each
    factor column swapped, with even odds, for the same column of another real row, until
    there are `n` different rows; shuffled. The survey table is canonical (skills sorted), so
    different rows are different profiles."""
    import numpy as np
    import pandas as pd

    pool = profiles.drop_duplicates()
    pool = pool.iloc[rng.permutation(len(pool))[:n]]
    columns = {name: profiles[name].to_numpy() for name in profiles.columns}
    while len(pool) < n:
        m = (n - len(pool)) * 5 // 4 + 100
        base = rng.integers(0, len(profiles), m)
        mixed = {}
        for name, values in columns.items():
            donor = rng.integers(0, len(profiles), m)
            mixed[name] = np.where(rng.random(m) < 0.5, values[donor], values[base])
        pool = pd.concat([pool, pd.DataFrame(mixed)]).drop_duplicates()
    pool = pool.iloc[:n]
    return pool.iloc[rng.permutation(len(pool))]


# Stack Overflow 2024's columns as its file writes them (the salary column is never read into
# an input), and the 2025 survey's language lists; MainBranch and Age are passed through.
RAW_COLUMNS = ("MainBranch", "Age", "RemoteWork", "EdLevel", "YearsCode", "DevType", "OrgSize", "Country", "WorkExp", "Industry")
RAW_SKILLS = "LanguageHaveWorkedWith"
RAW_EXPLAIN_ROWS = 2_000


def raw_text_profiles(data_dir: Path, rng):
    """Rows of the surveys' own text: Stack Overflow 2024's columns beside a language list drawn
    from Stack Overflow 2025's rows."""
    import pandas as pd

    from mlsalary.train import sources

    so2024 = sources.find_by_header(data_dir, RAW_COLUMNS)
    so2025 = sources.find_by_header(data_dir, ("Country", "EdLevel", RAW_SKILLS))
    if so2024 is None or so2025 is None:
        raise SystemExit(f"the raw-text inputs need the Stack Overflow 2024 and 2025 files in {data_dir}")
    frame = pd.read_csv(so2024, usecols=list(RAW_COLUMNS), dtype=str, keep_default_na=False)
    languages = pd.read_csv(so2025, usecols=[RAW_SKILLS], dtype=str, keep_default_na=False)[RAW_SKILLS].to_numpy()
    frame[RAW_SKILLS] = languages[rng.integers(0, len(languages), len(frame))]
    return frame


def _spelling(value, k: int) -> str:
    if value is None or value != value:
        return ["", "NA", "na", " "][k]
    return [f"{value:g}", f"{value:.2f}", f" {value:g}", f"{float(value)!r}"][k]


def cases(args, inputs: dict[str, Path], tmp: Path, compiled_dir: Path | None) -> dict[str, tuple[list[str], int | None]]:
    """name -> (command, rows it processes or None)."""
    table = {
        "reference": ([PYTHON, "-c", "import sklearn.ensemble"], None),
        # The least any command of this CLI can take: its interpreter, numpy and Typer.
        "floor": ([PYTHON, "-c", "import numpy, typer"], None),
        "help": ([*MLSALARY, "--help"], None),
        "estimate": ([*MLSALARY, *ESTIMATE_ARGS], 1),
        "estimate-table": ([*MLSALARY, *ESTIMATE_ARGS[:-1]], 1),  # the same, drawn as tables (Rich)
        # Place names: a US city (its other states checked too), a city given as the country,
        # and a typo of a country (a place ruled out before "did you mean").
        "estimate-location": ([*MLSALARY, "estimate", "--location", "Austin", "--role", "ml-engineer", "--json"], 1),
        "estimate-city-as-country": ([*MLSALARY, "estimate", "--country", "Berlin", "--json"], 1),
        "estimate-country-typo": ([*MLSALARY, "estimate", "--country", "Germny"], None),
        "options": ([*MLSALARY, "options"], None),
        "batch-cached": ([*MLSALARY, "batch", str(inputs.get("batch", "")), "--output-format", "csv"], args.rows),
        "batch-all-different": ([*MLSALARY, "batch", str(inputs.get("all-different", ""))], _rows_of(inputs, "all-different")),
        "batch-all-different-no-trees": ([PYTHON, "-c", NO_TREES, "batch", str(inputs.get("all-different", ""))], _rows_of(inputs, "all-different")),
        "batch-all-different-1m": ([*MLSALARY, "batch", str(inputs.get("all-different-1m", ""))], _rows_of(inputs, "all-different-1m")),
        "batch-memory": ([*MLSALARY, "batch", str(inputs.get("memory", ""))], _rows_of(inputs, "memory")),
        "batch-explain": ([*MLSALARY, "batch", str(inputs.get("explain", "")), "--explain"], args.explain_rows),
        "batch-raw-text": ([*MLSALARY, "batch", str(inputs.get("raw-text", "")), "--output-format", "csv"], _rows_of(inputs, "raw-text")),
        "batch-raw-text-jsonl": ([*MLSALARY, "batch", str(inputs.get("raw-text", "")), "--output-format", "jsonl"], _rows_of(inputs, "raw-text")),
        "batch-raw-text-1m": ([*MLSALARY, "batch", str(inputs.get("raw-text-1m", "")), "--output-format", "csv"], _rows_of(inputs, "raw-text-1m")),
        "batch-raw-text-explain": ([*MLSALARY, "batch", str(inputs.get("raw-text-explain", "")), "--explain"], _rows_of(inputs, "raw-text-explain")),
        "train": ([*MLSALARY, "train", "--data", str(args.data), "--out", str(tmp / "trained")], None),
    }
    if compiled_dir is not None:
        table["compiled-estimate"] = ([PYTHON, "-c", COMPILED_ESTIMATE, str(compiled_dir)], 1)
    return table


def _rows_of(inputs: dict[str, Path], name: str) -> int | None:
    count = inputs.get(name, Path("-")).with_suffix(".rows")
    return int(count.read_text()) if count.is_file() else None


# The targets (issues 4 and 13): case -> (description, test of (median s, rows/s, peak RSS MB,
# x reference, x floor)).
TARGETS = {
    "help": ("<= 0.2 s", lambda t, rate, rss, ratio, floor: t <= 0.2),
    "options": ("<= 0.2 s", lambda t, rate, rss, ratio, floor: t <= 0.2),
    "estimate": ("<= 1.8 x floor, <= 80 MB", lambda t, rate, rss, ratio, floor: floor is not None and floor <= 1.8 and rss <= 80),
    "batch-cached": (">= 100k rows/s, <= 400 MB", lambda t, rate, rss, ratio, floor: rate >= 100_000 and rss <= 400),
    "batch-all-different": (">= 50k rows/s", lambda t, rate, rss, ratio, floor: rate >= 50_000),
    "batch-all-different-1m": ("<= 400 MB", lambda t, rate, rss, ratio, floor: rss <= 400),
    "batch-memory": ("<= 400 MB", lambda t, rate, rss, ratio, floor: rss <= 400),
    "batch-explain": (">= 250 rows/s", lambda t, rate, rss, ratio, floor: rate >= 250),
    "batch-raw-text": (">= 50k rows/s", lambda t, rate, rss, ratio, floor: rate >= 50_000),
    "batch-raw-text-jsonl": (">= 50k rows/s", lambda t, rate, rss, ratio, floor: rate >= 50_000),
    "batch-raw-text-1m": ("<= 400 MB", lambda t, rate, rss, ratio, floor: rss <= 400),
    "batch-raw-text-explain": (">= 500 rows/s", lambda t, rate, rss, ratio, floor: rate >= 500),
    "train": ("<= 180 s", lambda t, rate, rss, ratio, floor: t <= 180),
}


def label(name: str, rows: int | None) -> str:
    """The case as the table shows it: the batch cases with their size ("batch 1M cached")."""
    if rows is None or not name.startswith("batch"):
        return name
    size = f"{rows // 1_000_000}M" if rows % 1_000_000 == 0 else f"{rows // 1000}k" if rows % 1000 == 0 else f"{rows:,}"
    kind = {
        "batch-cached": "cached", "batch-all-different": "all-different", "batch-all-different-1m": "all-different",
        "batch-all-different-no-trees": "all-different, trees skipped",
        "batch-raw-text": "raw text, CSV", "batch-raw-text-jsonl": "raw text, JSONL", "batch-raw-text-1m": "raw text, CSV",
        "batch-raw-text-explain": "raw text, --explain",
    }.get(name)
    return f"batch {size} {kind}" if kind else f"{name} ({size} rows)"


def print_table(results: list[tuple[str, list[float], list[int], int | None, list[float]]], reference: float | None, floor: float | None = None) -> None:
    """One line per case. CPU seconds (all threads) beside the wall time: on a shared machine
    the wall time also measures the other processes."""
    header = f"{'case':<38} {'median s':>9} {'min s':>8} {'max s':>8} {'cpu s':>7} {'rows/s':>10} {'peak RSS MB':>12} {'x reference':>12} {'x floor':>8}  target"
    print(header)
    print("-" * len(header))
    for name, times, rss, rows, cpu in results:
        median = statistics.median(times)
        rate_value = rows / median if rows else 0.0
        rate = "-" if not rows or rows == 1 else f"{rate_value:,.0f}" if rate_value >= 100 else f"{rate_value:.2f}"
        ratio_value = median / reference if reference else None
        ratio = f"{ratio_value:.2f}" if ratio_value is not None else "-"
        floor_value = median / floor if floor else None
        over_floor = f"{floor_value:.2f}" if floor_value is not None else "-"
        peak = max(rss) / 1024
        target = ""
        if name in TARGETS:
            description, met = TARGETS[name]
            target = f"{description} {'met' if met(median, rate_value, peak, ratio_value, floor_value) else 'MISSED'}"
        print(f"{label(name, rows):<38} {median:>9.3f} {min(times):>8.3f} {max(times):>8.3f} {statistics.median(cpu):>7.2f} {rate:>10} {peak:>12.0f} {ratio:>12} {over_floor:>8}  {target}")


def compiled_micro(compiled_dir: Path, repeat: int) -> None:
    """In-process: CompiledModel vs the sklearn SalaryModel on the same rows."""
    import numpy as np

    from mlsalary import explanations
    from mlsalary.train import store
    from mlsalary.profile import Profile
    from mlsalary.runtime.compiled_model import CompiledModel

    model, _ = store.load_trained()
    fast = CompiledModel.load(compiled_dir)
    rng = np.random.default_rng(0)
    background = model.background_
    # 65,536 mixed rows like the explanations' (coalition x background), and 100,000 rows
    # drawn column by column from the background (mostly distinct rows).
    mixed = np.repeat(background[None], 1024, axis=0).reshape(-1, background.shape[1])
    x = model.schema_.encode_profiles([Profile.from_mapping({"experience": 5, "country": "Germany", "skills": "python,pytorch", "education": "master"})])
    mask = rng.random(mixed.shape) < 0.5
    mixed = np.where(mask, x, mixed)
    distinct = background[rng.integers(0, len(background), (100_000, background.shape[1])), np.arange(background.shape[1])]
    repeated = distinct[rng.integers(0, 20_000, 100_000)]

    def best(fn):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times), statistics.median(times)

    rows = [
        ("1 row, 5 models", 1, lambda: model.predict(x), lambda: fast.predict(x)),
        ("65,536 rows, p50", len(mixed), lambda: model.predict_median(mixed), lambda: fast.predict_median(mixed)),
        ("100k distinct, 5 models", len(distinct), lambda: model.predict(distinct), lambda: fast.predict(distinct)),
        ("100k (20k distinct), 5", len(repeated), lambda: model.predict(repeated), lambda: fast.predict(repeated)),
        ("contributions", 1, lambda: explanations.contributions(model, x[0]), lambda: explanations.contributions(fast, x[0])),
    ]
    header = f"{'in-process':<26} {'sklearn s':>10} {'compiled s':>11} {'speed-up':>9} {'compiled rows/s':>16}"
    print(header)
    print("-" * len(header))
    for name, n, slow_fn, fast_fn in rows:
        slow_t = best(slow_fn)[1]
        fast_t = best(fast_fn)[1]
        print(f"{name:<26} {slow_t:>10.4f} {fast_t:>11.4f} {slow_t / fast_t:>9.1f} {n / fast_t:>16,.0f}")
    d = np.abs(model.predict_log(distinct) - fast.predict_log(distinct)).max()
    print(f"max |log difference| on 100k rows: {d:.3g}")


def forest_micro(data_dir: Path | None, repeat: int, rows: int = ALL_DIFFERENT_ROWS) -> None:
    """In-process: the forest's evaluators on `rows` different encoded rows, 5 quantile models.

    Rows are the distinct factor profiles of the real survey rows (never the salaries), topped
    up with rows drawn column by column from them (else from the model's background sample);
    binned once, and only distinct binned rows kept, so no method gains from repeats.
    """
    import numpy as np

    from mlsalary import Estimator
    from mlsalary.runtime import forest as forest_module

    model = Estimator.load().model
    forest = model.forest
    rng = np.random.default_rng(0)
    if data_dir is not None:
        from mlsalary.train import sources

        table = sources.load_training_data(data_dir).table
        profiles = table[list(FACTOR_COLUMNS)].drop_duplicates()
        profiles = profiles.iloc[rng.permutation(len(profiles))]
        # As batch encodes them: for the reference source and year, listed skills only.
        data = {name: [None if v is None or v != v else v for v in profiles[name].tolist()] for name in FACTOR_COLUMNS}
        data["skill_categories"] = [None if s is None else "" for s in data["skills"]]
        real = model.schema_.encode_columns(data)
        origin = "distinct real profiles, then column-wise draws from them"
    else:
        real = model.background_
        origin = "column-wise draws from the background sample"
    drawn = real[rng.integers(0, len(real), (2 * rows, real.shape[1])), np.arange(real.shape[1])]
    bins = forest.bin(np.vstack([real, drawn]))
    _, first = np.unique(bins, axis=0, return_index=True)
    bins = bins[np.sort(first)[:rows]]
    expected = forest.raw_binned(bins, method="walk")
    methods = [("numpy walk", "walk", None), ("numpy leaf masks", "masks", None)]
    if forest_module._native is not None:
        methods += [("C, 1 thread", "native", 1), (f"C, {forest_module.usable_cpus()} threads", "native", None)]
    print(f"{len(bins):,} different binned rows ({origin}), {forest.n_outputs} models, {len(forest.roots)} trees")
    print(f"{'method':<20} {'best s':>8} {'rows/s':>10}")
    usable = forest_module.usable_cpus
    for name, method, threads in methods:
        forest_module.usable_cpus = (lambda threads=threads: threads) if threads else usable  # type: ignore[assignment]
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            got = forest.raw_binned(bins, method=method)
            times.append(time.perf_counter() - start)
        forest_module.usable_cpus = usable  # type: ignore[assignment]
        assert np.array_equal(got, expected), f"{name} differs from the numpy walk"
        print(f"{name:<20} {min(times):>8.3f} {len(bins) / min(times):>10,.0f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=os.environ.get("MLSALARY_DATA"), help="survey data folder (default: MLSALARY_DATA)")
    parser.add_argument("--runs", type=int, default=5, help="runs per case (default 5)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the cached and the long all-different batch inputs (default 1,000,000)")
    parser.add_argument("--all-different-rows", type=int, default=ALL_DIFFERENT_ROWS, help=f"rows of the all-different batch input (default {ALL_DIFFERENT_ROWS:,})")
    parser.add_argument("--inputs", type=Path, help="build the inputs in this folder and keep them (reused when present) instead of a temporary one")
    parser.add_argument("--explain-rows", type=int, default=200, help="rows of the batch --explain input (default 200)")
    parser.add_argument("--cases", default=DEFAULT_CASES, help="comma-separated cases")
    parser.add_argument("--compiled-only", action="store_true", help="only the in-process CompiledModel vs sklearn micro-benchmark")
    parser.add_argument("--forest", action="store_true", help="only the in-process forest evaluators (numpy walk, leaf masks, C) on 50,000 different rows")
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)  # internal: build inputs in a child
    args = parser.parse_args(argv)
    if args.forest:
        forest_micro(Path(args.data) if args.data else None, repeat=args.runs)
        return 0
    if args.prepare:
        # Runs in a child process, so the parent stays small: a child's ru_maxrss starts from
        # its parent's RSS at fork.
        from mlsalary.train import store
        from mlsalary.train import export

        export.export(store.load_trained()[0], args.prepare / "compiled")
        folder = args.inputs or args.prepare
        stamp = folder / "inputs.txt"  # the sizes the inputs were built with: reuse only those
        sizes = f"rows={args.rows} all_different_rows={args.all_different_rows} explain_rows={args.explain_rows}\n"
        if args.data is not None and args.rows and not (stamp.is_file() and stamp.read_text() == sizes):
            folder.mkdir(parents=True, exist_ok=True)
            build_inputs(Path(args.data), folder, args.rows, args.explain_rows, args.all_different_rows)
            stamp.write_text(sizes)
        return 0

    with tempfile.TemporaryDirectory(prefix="mlsalary-bench-") as tmp_name:
        tmp = Path(tmp_name)
        compiled_dir = tmp / "compiled"
        wanted = [c.strip() for c in args.cases.split(",") if c.strip()]
        needs_data = {name for name in wanted if name.startswith("batch") or name == "train"} and not args.compiled_only
        if needs_data and (args.data is None or not Path(args.data).is_dir()):
            parser.error(f"cases {sorted(needs_data)} need the survey data: pass --data DIR or set MLSALARY_DATA")
        prepare = [
            PYTHON, __file__, "--prepare", str(tmp), "--rows", str(args.rows if needs_data else 0),
            "--explain-rows", str(args.explain_rows), "--all-different-rows", str(args.all_different_rows),
        ]
        if needs_data:
            prepare += ["--data", str(args.data)]
        if args.inputs is not None:
            prepare += ["--inputs", str(args.inputs.resolve())]
        subprocess.run(prepare, check=True)
        if args.compiled_only:
            compiled_micro(compiled_dir, repeat=args.runs)
            return 0
        folder = args.inputs or tmp
        names = {"batch": f"batch_{args.rows}.csv", "explain": f"explain_{args.explain_rows}.csv", "all-different": "all-different.csv", "all-different-1m": "all-different-1m.csv", "memory": "memory.csv",
                 "raw-text": "raw-text.csv", "raw-text-1m": "raw-text-1m.csv", "raw-text-explain": "raw-text-explain.csv"}
        inputs = {key: folder / name for key, name in names.items()} if needs_data else {}
        table = cases(args, inputs, tmp, compiled_dir)
        env = dict(os.environ)
        env.pop("NO_COLOR", None)
        # An installed package has its bytecode compiled (pip does it at install), as numpy and
        # Typer in the floor case have: measure that, not a run that compiles every source file.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        import mlsalary

        subprocess.run([PYTHON, "-m", "compileall", "-q", str(Path(mlsalary.__file__).parent)], check=True, env=env, stdout=subprocess.DEVNULL)
        results = []
        reference = floor = None
        for name in wanted:
            if name not in table:
                parser.error(f"unknown case {name!r}; known: {', '.join(table)}")
            command, rows = table[name]
            times, rss, cpu = [], [], []
            for _ in range(args.runs):
                expected = EXPECTED_STATUS.get(name, 0)
                elapsed, peak, status, used = run_once(command, env, expected)
                if status != expected:
                    break
                times.append(elapsed)
                rss.append(peak)
                cpu.append(used)
                if name == "train":
                    shutil.rmtree(tmp / "trained", ignore_errors=True)
            if not times:
                print(f"{name}: failed", file=sys.stderr)
                continue
            if name == "reference":
                reference = statistics.median(times)
            if name == "floor":
                floor = statistics.median(times)
            results.append((name, times, rss, rows, cpu))
            print(f"  {name}: {statistics.median(times):.3f} s", file=sys.stderr)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, runs per case {args.runs}")
        print_table(results, reference, floor)
    return 0


if __name__ == "__main__":
    sys.exit(main())
