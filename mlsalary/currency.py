"""Local currency: USD figures converted at a stated, dated European Central Bank rate.

The surveys report pay in USD, converted by their publishers at the exchange rates of the
survey year. A figure in another currency is therefore converted back at the mean of the
ECB's daily reference rates over the reference survey's year (the rates `currencyconverter`
ships offline), and every output states the rate, its window and how many days it averages.
No purchasing-power adjustment: no maintained, licensed PPP table is bundled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from mlsalary.errors import InputError, show_value

PERIODS = {"year": 1, "month": 12}


@dataclass(frozen=True)
class Conversion:
    """How to state a yearly USD amount in `code` per `per`."""

    code: str
    rate: float  # units of `code` per USD, mean over the window
    start: date
    end: date
    days: int
    per: str = "year"

    def __call__(self, usd_per_year: float) -> float:
        return usd_per_year * self.rate / PERIODS[self.per]

    def to_usd_per_year(self, amount: float) -> float:
        return amount * PERIODS[self.per] / self.rate

    @property
    def source(self) -> str:
        if self.code == "USD":  # only the period changes: no rate to state
            return "no currency conversion"
        return (
            f"mean ECB reference rate {self.start.isoformat()} to {self.end.isoformat()} "
            f"({self.days} days): 1 USD = {self.rate:.4f} {self.code}"
        )

    def as_dict(self) -> dict:
        return {
            "currency": self.code, "per": self.per, "usd_rate": round(self.rate, 6),
            "window": [self.start.isoformat(), self.end.isoformat()], "days": self.days,
            "source": "European Central Bank reference rates (currencyconverter, offline)",
        }


def units(conversion: Conversion | None) -> tuple[str, str]:
    """The currency code and period figures are stated in: USD per year without a conversion."""
    return ("USD", "year") if conversion is None else (conversion.code, conversion.per)


def conversion(code: str, year: int, per: str = "year") -> Conversion:
    """The conversion from USD to `code` at the mean ECB rate of `year`; InputError if the ECB
    does not publish `code` for that year, naming the currencies it does."""
    if per not in PERIODS:
        raise InputError("per", f"--per must be one of {', '.join(PERIODS)}; got {show_value(per)}")
    text = code.strip().upper()
    if text == "USD":
        return Conversion("USD", 1.0, date(year, 1, 1), date(year, 12, 31), 0, per)
    from currency_converter import CurrencyConverter, RateNotFoundError

    converter = CurrencyConverter()
    start, end = date(year, 1, 1), date(year, 12, 31)
    rates = []
    if text in converter.currencies:
        day = start
        while day <= end:
            try:
                rates.append(converter.convert(1.0, "USD", text, date=day))
            except RateNotFoundError:
                pass  # weekends, holidays, and days after the last published rate
            day += timedelta(days=1)
    if not rates:
        published = sorted(c for c in converter.currencies if _published_in(converter, c, start))
        raise InputError(
            "currency",
            f"currency {show_value(text)}: the ECB publishes no reference rate for it in {year}; use one of: {', '.join(published)}",
        )
    return Conversion(text, sum(rates) / len(rates), start, end, len(rates), per)


def _published_in(converter, code: str, start: date) -> bool:
    if code in ("EUR", "USD"):
        return True
    bounds = converter.bounds.get(code)
    return bounds is not None and bounds.last_date >= start


MONEY_KEYS = ("p10", "p25", "p50", "p75", "p90", "change_p10", "change_p50", "change_p90")


def convert_rows(rows: list[dict], conv: Conversion) -> list[dict]:
    """Rows of compare / trend / what-if with their money fields stated in conv.code."""
    out = []
    for row in rows:
        row = dict(row)
        for key in MONEY_KEYS:
            if isinstance(row.get(key), (int, float)) and not isinstance(row.get(key), bool):
                row[key] = round(conv(row[key]))
        row["currency"] = conv.code
        out.append(row)
    return out
