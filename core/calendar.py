"""Business days are Sao Paulo days, whatever the machine's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def today_in_sao_paulo(now: dt.datetime | None = None) -> dt.date:
    moment = now or dt.datetime.now(tz=dt.UTC)
    return moment.astimezone(SAO_PAULO).date()


def parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"--date must be YYYY-MM-DD, got {value!r}") from exc
