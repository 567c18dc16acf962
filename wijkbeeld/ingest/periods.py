"""Delivery periods: the period in a file name, months, and the clock ingest judges periods by."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

CADENCE_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def now_utc() -> datetime:
    """The time stamps ingest writes (UTC, naive, whole seconds)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(first: date, add_months: int = 0) -> date:
    """Last day of the month ``add_months`` after the month of ``first``."""
    index = first.year * 12 + first.month - 1 + add_months + 1  # the month after, counted from year 0
    return date(index // 12, index % 12 + 1, 1) - timedelta(days=1)


def parse_period(text: str, granularity: str) -> tuple[date, date] | None:
    """First day of the first and of the last month of a file-name period; None when unparseable."""
    m = {
        "year": re.fullmatch(r"([0-9]{4})", text),
        "month": re.fullmatch(r"([0-9]{4})([0-9]{2})", text),
        "quarter": re.fullmatch(r"([0-9]{4})[Qq]([1-4])", text),
    }[granularity]
    if not m:
        return None
    year = int(m.group(1))
    if granularity == "year":
        return date(year, 1, 1), date(year, 12, 1)
    if granularity == "quarter":
        first = 3 * int(m.group(2)) - 2
        return date(year, first, 1), date(year, first + 2, 1)
    month = int(m.group(2))
    if not 1 <= month <= 12:
        return None
    return date(year, month, 1), date(year, month, 1)
