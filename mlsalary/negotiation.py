"""Negotiation: where an offer falls in the predicted distribution, and what-if changes.

Offer percentile: the five calibrated quantiles are knots of a piecewise log-normal
distribution. Between knots the normal score z is interpolated linearly in log pay; beyond
p10 and p90 the tails continue with the slope of the outermost segment (a log-normal tail),
so an offer far outside the range still gets a sensible, bounded percentile.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, replace
from typing import Any, Sequence

from mlsalary.errors import InputError
from mlsalary.factors import lookup
from mlsalary.profile import Profile, show_value
from mlsalary.runtime.quantiles import QUANTILES as LEVELS


@functools.cache
def _normal():
    # statistics is imported only when an offer is checked (it costs every estimate otherwise).
    from statistics import NormalDist

    normal = NormalDist()
    return normal, tuple(normal.inv_cdf(p) for p in LEVELS)


MAX_OFFER = 100_000_000.0


# How an offer may be written. Amounts are yearly USD.
#   * "$", "US$", "USD" before or after the number are dropped; any other currency sign or code
#     (€, £, ₹, EUR, GBP, ...) is refused unless --currency names it (then amounts are in it).
#   * A suffix k (thousand) or m / mm (million), either case: 145k, 1.5M.
#   * Spaces, "_" and "'" group digits: 180 000, 180_000, 180'000.
#   * "," and ".": when both appear, the last one is the decimal mark (1,234.50 or 1.234,50).
#     When only one kind appears: more than once, it groups thousands (1,000,000 or 1.000.000,
#     and the Indian 1,80,000); once, it groups thousands when exactly three digits follow it
#     (180,000 = 180.000 = 180000) and is a decimal mark otherwise (1.5M, 180,5k = 180,500).
#   * A trailing "/yr", "per year", "a year", "pa" is allowed; "/mo", "/hr" and the like are
#     refused: the model's figures are yearly.
_CURRENCY_WORDS = re.compile(r"^(?:us\$|usd|\$)\s*|\s*(?:usd|us\$|\$)$")
_OTHER_CURRENCY = re.compile(r"[€£¥₹₩₽₺₪₫฿₱₦₴₸₡₲₵₭₮]|\b(?:eur|euro|euros|gbp|inr|cad|aud|chf|jpy|cny|rmb|sek|nok|dkk|pln|brl|mxn|zar|sgd|hkd|nzd|ils|try|rub|krw|czk|huf|ron)\b|(?:^|\d)(?:c|a|nz|hk|s|r)\$")
_YEARLY = re.compile(r"\s*(?:/\s*(?:yr|year|y|annum)|per\s+(?:year|annum)|a\s+year|p\.?\s?a\.?|annual(?:ly)?|yearly)$")
_NOT_YEARLY = re.compile(r"(?:/\s*|\bper\s+|\ban?\s+)(?:mo|month|hr|h|hour|wk|week|day|d)\b|\b(?:monthly|hourly|weekly|daily)$")
_AMOUNT = re.compile(r"([0-9][0-9 _',.]*)\s*(k|m|mm|mn)?")


def _offer_error(value, reason: str = "") -> InputError:
    from mlsalary.profile import show_value

    return InputError("offer", f"offer must be a yearly amount in USD such as 145000, 145k or $1.5M, got {show_value(str(value))}{reason}")


# The sign people type for a currency given with --currency (its ISO code is accepted too).
CURRENCY_SIGNS = {"EUR": "€", "GBP": "£", "INR": "₹", "JPY": "¥", "CNY": "¥", "KRW": "₩", "TRY": "₺", "ILS": "₪", "THB": "฿", "PHP": "₱"}


MAX_OFFER_TEXT = 60  # "USD 185,000.00 per year" is 23


_BARE_AMOUNT = re.compile(r"[\d\s.,'_]{1,40}[km]?", re.IGNORECASE)


def is_bare_amount(text: str) -> bool:
    """Whether an offer is a number alone ("70000", "70k"), with no currency sign or code: it is
    read in the unit the figures are shown in (--currency, --per), which a note then says."""
    return bool(_BARE_AMOUNT.fullmatch(text.strip()))


def parse_offer(value, currency: str = "USD", max_amount: float | None = None) -> float:
    """An offer per year (or per the --per period) in `currency`, as people type it (rules
    above). Raises InputError("offer")."""
    if isinstance(value, bool):
        raise _offer_error(value)
    limit = MAX_OFFER if max_amount is None else max_amount
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # a JSON integer of hundreds of digits
            raise _offer_error(value, ": too large") from None
    else:
        text = str(value)
        if len(text) > MAX_OFFER_TEXT:  # checked before any pattern: no text can make them slow
            raise _offer_error(value, f": at most {MAX_OFFER_TEXT} characters")
        # One space for every run of white space: the patterns below then meet no long runs.
        text = " ".join(text.lower().replace("\u00a0", " ").replace("\u202f", " ").replace("\u2009", " ").split())
        if currency != "USD":
            # The chosen currency's sign or code, before or after the number, is that currency.
            own = re.escape(CURRENCY_SIGNS.get(currency, currency.lower()))
            text = re.sub(rf"^(?:{own}|{currency.lower()})\s*|\s*(?:{own}|{currency.lower()})$", "", text)
            if re.search(r"\$|\busd\b", text):
                raise InputError("offer", f"offer is read in {currency} (--currency), got {_show(value)} in USD: drop --currency or convert it")
        if _OTHER_CURRENCY.search(text):
            raise InputError(
                "offer",
                f"offer must be a yearly amount in {currency}, got {_show(value)} in another currency: "
                "give --currency CODE for offers in another currency (e.g. --currency EUR)",
            )
        if _NOT_YEARLY.search(text):
            raise _offer_error(value, ": the figures are yearly, so give the yearly total (12 x a monthly amount)")
        text = _YEARLY.sub("", text)
        text = _CURRENCY_WORDS.sub("", text).strip()
        match = _AMOUNT.fullmatch(text)
        if not match:
            raise _offer_error(value)
        digits = _plain_number(match.group(1))
        if digits is None:
            raise _offer_error(value, ": read ',' and '.' as thousands separators only before exactly three digits")
        factor = {None: 1.0, "k": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6}[match.group(2)]
        try:
            number = float(digits) * factor
        except (ValueError, OverflowError):
            raise _offer_error(value) from None
    # Below 1 a whole-unit figure would read as 0 in the output: no pay is that small.
    if not math.isfinite(number) or number < 1 or number > limit:
        raise InputError("offer", f"offer must be a yearly amount in {currency} of at least 1 and at most {limit:,.0f}, got {_show(value)}")
    return number


def _show(value) -> str:
    from mlsalary.profile import show_value

    return show_value(str(value))


def _plain_number(text: str) -> str | None:
    """'180,000' -> '180000', '1.234,5' -> '1234.5'; None when the separators make no number."""
    text = re.sub(r"[ _']", "", text)
    if not text or not text[0].isdigit() or not text[-1].isdigit():
        return None
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        group = "." if decimal == "," else ","
        whole, _, fraction = text.rpartition(decimal)
        if group in fraction or not _grouped(whole, group):
            return None
        return whole.replace(group, "") + "." + fraction
    mark = "," if commas else "." if dots else None
    if mark is None:
        return text
    if text.count(mark) > 1:
        return text.replace(mark, "") if _grouped(text, mark) else None
    whole, _, fraction = text.partition(mark)
    if len(fraction) == 3:
        return whole + fraction  # a thousands separator
    return whole + "." + fraction


def _grouped(text: str, mark: str) -> bool:
    # Western groups of three (1,000,000) or the Indian lakh/crore grouping (1,00,00,000).
    parts = text.split(mark)
    if len(parts) == 1:
        return True
    if len(parts[0]) > 3 or len(parts[-1]) != 3:
        return False
    middle = parts[1:-1]
    return all(len(p) == 3 for p in middle) or (mark == "," and all(len(p) == 2 for p in middle))


# Offers outside this window are taken but flagged: below it a yearly figure is unlikely (a
# monthly or hourly amount typed by mistake?); above it the data has no pay to compare with.
LIKELY_YEARLY_MINIMUM = 10_000.0


def offer_warning(offer: float, window: Sequence[float] | None = None) -> str | None:
    """A one-line warning for an offer far outside the training data's pay, or None."""
    high = float(window[1]) if window else 500_000.0
    if offer < LIKELY_YEARLY_MINIMUM:
        return (
            f"offer {offer:,.0f} is below {LIKELY_YEARLY_MINIMUM:,.0f} a year: it looks monthly or hourly? "
            "Offers are yearly USD (e.g. 12 x a monthly amount)"
        )
    if offer > high:
        return f"offer {offer:,.0f} is above the highest pay in the training data ({high:,.0f}): its percentile is an extrapolation"
    return None


def offer_percentile(quantiles: Sequence[float], offer: float) -> float:
    """Share (0-100) of comparable profiles paid less than `offer`."""
    logs = [math.log(q) for q in quantiles]
    x = math.log(offer)
    tied = [level for level, value in zip(LEVELS, logs) if abs(value - x) < 1e-12]
    if tied:  # the offer sits on one or more (collapsed) quantiles: the middle of their levels
        return round(100 * (tied[0] + tied[-1]) / 2, 1)
    normal, z_levels = _normal()
    if x < logs[0]:
        slope = _segment_slope(logs, z_levels, 0)
        z = z_levels[0] - (logs[0] - x) * slope
    elif x > logs[-1]:
        slope = _segment_slope(logs, z_levels, len(logs) - 2)
        z = z_levels[-1] + (x - logs[-1]) * slope
    else:
        i = max(j for j in range(len(logs) - 1) if logs[j] <= x)
        span = logs[i + 1] - logs[i]
        z = z_levels[i] + (0.0 if span <= 0 else (x - logs[i]) / span * (z_levels[i + 1] - z_levels[i]))
    return round(100 * min(max(normal.cdf(z), 0.001), 0.999), 1)


def _segment_slope(logs: Sequence[float], zs: Sequence[float], i: int) -> float:
    # z per log-dollar along segment i; a collapsed segment falls back to the whole range.
    span = logs[i + 1] - logs[i]
    if span > 1e-9:
        return (zs[i + 1] - zs[i]) / span
    whole = logs[-1] - logs[0]
    return (zs[-1] - zs[0]) / whole if whole > 1e-9 else 50.0


# The surveys by the name their respondents know them by (the model's "source" values).
SOURCE_NAMES = {"stackoverflow": "Stack Overflow", "aijobs": "aijobs.net"}
SURVEY_NAMES = {"stackoverflow": "the Stack Overflow Developer Survey", "aijobs": "the aijobs.net salary survey"}


def reference_population(reference: dict[str, Any] | None) -> str:
    """Who an offer is compared with, in plain words: the reference survey's respondents."""
    survey = str((reference or {}).get("source", "")).split("-")[0]  # "stackoverflow-2025": its edition
    if survey not in SURVEY_NAMES:
        return "comparable survey respondents"
    return (
        f"comparable respondents to {SURVEY_NAMES[survey]} {(reference or {}).get('year', '')}".rstrip()
        + " (employees of every kind and size of employer, not only large tech companies)"
    )


def offer_sentence(offer: float, percentile: float, median: float, reference: dict[str, Any] | None = None) -> str:
    # "about 100%" would overstate what a survey sample can say: say 1-99%.
    who = reference_population(reference)
    if offer < median:
        share = min(max(round(100 - percentile), 1), 99)
        return f"{offer:,.0f} is below about {share}% of {who}; their median is {median:,.0f}."
    share = min(max(round(percentile), 1), 99)
    return f"{offer:,.0f} is above about {share}% of {who}; their median is {median:,.0f}."


# -- what-if ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One what-if edit: `factor=value`, `factor=` (make unknown), `skills+=x`, `skills-=x`."""

    text: str
    factor: str
    op: str  # "=", "+=", "-="
    value: str


def parse_change(text: str) -> Change:
    for op in ("+=", "-=", "="):
        if op in text:
            factor, value = text.split(op, 1)
            break
    else:
        raise InputError("what-if", f"what-if must look like factor=value, skills+=name or skills-=name; got {show_value(text)}")
    factor = lookup(factor, field="what-if", within=f"what-if {show_value(text)}")
    if op != "=" and factor != "skills":
        raise InputError("what-if", f"'{op}' works only for skills; use {factor}=value in {show_value(text)}")
    return Change(text, factor, op, value.strip())


def with_value(profile: Profile, factor: str, text: str) -> Profile:
    """The profile with one factor set as its option reads `text` (what-if, compare --by): a
    title sets the level it names too, a place its country (moving there), a country
    outside the US leaves a US metro behind."""
    parsed = Profile.from_mapping({factor: text})
    if factor == "location":  # moving there: its country comes with it
        return replace(profile, location=parsed.location, country=parsed.country)
    if factor == "country" and profile.location is not None and parsed.country != "US":
        return replace(profile, country=parsed.country, location=None)  # leaving the US leaves its metro
    if factor == "role" and parsed.seniority is not None:  # "Senior ML Engineer": the level too
        return replace(profile, role=parsed.role, seniority=parsed.seniority)
    return replace(profile, **{factor: getattr(parsed, factor)})


def apply_change(profile: Profile, change: Change) -> Profile:
    """A new Profile with the change applied; the value is validated like any input."""
    if change.op == "=":
        if change.value == "":
            unknown: dict[str, Any] = {change.factor: None}
            return replace(profile, **unknown)
        return with_value(profile, change.factor, change.value)
    skills = Profile.from_mapping({"skills": change.value}).skills or ()
    current = set(profile.skills or ())
    new = current | set(skills) if change.op == "+=" else current - set(skills)
    return replace(profile, skills=tuple(sorted(new)))
