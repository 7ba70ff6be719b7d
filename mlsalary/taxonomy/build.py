"""Write the country index data/countries.json from pycountry (run at development time).

    python -m mlsalary.taxonomy.build           # regenerate data/countries.json
    python -m mlsalary.taxonomy.build --check   # exit 1 if the file differs from what pycountry gives

Resolving a country at query time reads this file instead of importing pycountry and loading its
database (tens of milliseconds per command). The file holds pycountry's ISO 3166-1 records as
they are: every field that pycountry's own look-ups index (alpha-2, alpha-3, flag, name, numeric
code, official name, common name), in pycountry's order, so the taxonomy can answer exactly as
pycountry.countries.get() and .lookup() would. The hand-written aliases and display names are not
in it: they are data/country_aliases.csv and data/country_display_names.csv.

tests/test_taxonomy_tables.py checks that the committed file equals what this module writes with
the installed pycountry: after a pycountry upgrade it fails and names the command above. Where the
installed pycountry database differs from the one the file was made from, the taxonomy falls back
to pycountry for a label the file does not resolve (see _pycountry_fallback in __init__.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

from mlsalary.taxonomy.tables import COUNTRY_INDEX, DATA

COMMAND = "python -m mlsalary.taxonomy.build"


def database_path(pycountry) -> str:
    return os.path.join(pycountry.DATABASE_DIR, "iso3166-1.json")


def database_digest(path: str) -> str:
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()


def render() -> str:
    """The text of data/countries.json, made from the installed pycountry."""
    import pycountry

    countries = list(pycountry.countries)
    if pycountry.countries.no_index:
        # lookup() would also scan these fields one record at a time; the taxonomy does not.
        raise RuntimeError(f"pycountry now leaves {pycountry.countries.no_index} out of its indexes: teach _country_lookup() that pass")
    # pycountry.lookup() tries its indexes in this order (one per field, in the order the fields
    # first appear in the database); the taxonomy builds its look-up in the same order.
    fields = list(pycountry.countries.indices)
    records = [[country._fields.get(field) for field in fields] for country in countries]
    head = {
        "generated_by": COMMAND,
        "do_not_edit": "generated from pycountry's ISO 3166-1 database; regenerate with the command above",
        "pycountry": pycountry.__version__,
        "iso3166_1_sha256": database_digest(database_path(pycountry)),
        "fields": fields,
    }
    # One country per line: a regenerated file diffs line by line.
    lines = [json.dumps(head, ensure_ascii=False)[:-1] + ', "countries": [']
    lines += [json.dumps(record, ensure_ascii=False) + ("," if i < len(records) - 1 else "") for i, record in enumerate(records)]
    lines.append("]}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    path = os.path.join(DATA, COUNTRY_INDEX)
    text = render()
    if "--check" in argv:
        with open(path, encoding="utf-8") as file:
            current = file.read()
        if current != text:
            print(f"{path} differs from what the installed pycountry gives; regenerate it with `{COMMAND}`", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    with open(path, "w", encoding="utf-8", newline="\n") as file:
        file.write(text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
