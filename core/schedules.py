"""Every timed job, declared once, in America/Sao_Paulo wall time.

The local long-running mode sleeps until ``next_fire_time``; the AWS definition turns the same
declarations into EventBridge Scheduler schedules with ``eventbridge_schedule`` (cron plus the
``ScheduleExpressionTimezone``, so 03:00 stays 03:00 in Sao Paulo whatever UTC offset applies).

``cron`` is the classic five fields (minute hour day-of-month month day-of-week, Sunday = 0), each
``*``, a number, a list ``a,b``, a range ``a-b`` or a step ``*/n`` / ``a-b/n``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from core.calendar import SAO_PAULO

TIMEZONE = "America/Sao_Paulo"
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_FIELD_NAMES = ("minute", "hour", "day of month", "month", "day of week")


@dataclass(frozen=True)
class Schedule:
    name: str
    cron: str  # five fields, America/Sao_Paulo wall time
    job: str  # what runs: a Glue job / `lakehouse` step name
    description: str = ""


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("aurora-extract", "0 3 * * *", "aurora_extract", "daily Aurora extraction to bronze/aurora"),
    Schedule(
        "positional-sla-check", "0 12 * * *", "positional_sla_check", "alert when the day's positional job has not succeeded"
    ),
    Schedule("daily-run", "0 23 * * *", "run", "end-of-day dbt build (tests gate publication) and publication"),
)


def schedule(name: str) -> Schedule:
    for item in SCHEDULES:
        if item.name == name:
            return item
    raise KeyError(f"no schedule named {name!r}; known: {', '.join(item.name for item in SCHEDULES)}")


def _expand(field: str, low: int, high: int, label: str) -> frozenset[int]:
    values: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, stop = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, stop = int(first), int(last)
        else:
            start = int(base)
            stop = high if step_text else start
        if not (low <= start <= stop <= high) or step < 1:
            raise ValueError(f"cron {label} {part!r} is outside {low}-{high}")
        values.update(range(start, stop + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class _Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # Sunday = 0
    any_day: bool
    any_weekday: bool

    def matches_day(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        in_month, in_week = day.day in self.days, (day.isoweekday() % 7) in self.weekdays
        # Classic cron: when both day fields are restricted, either one matching is enough.
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week


def _parse(cron: str) -> _Cron:
    fields = cron.split()
    if len(fields) != 5:
        raise ValueError(f"cron {cron!r} must have five fields: minute hour day-of-month month day-of-week")
    minutes, hours, days, months, weekdays = (
        _expand(field, low, high, label) for field, (low, high), label in zip(fields, _RANGES, _FIELD_NAMES, strict=True)
    )
    return _Cron(minutes, hours, days, months, weekdays, any_day=fields[2] == "*", any_weekday=fields[4] == "*")


def next_fire_time(item: Schedule, after: dt.datetime, zone: ZoneInfo = SAO_PAULO) -> dt.datetime:
    """The first fire time strictly after ``after`` (tz-aware), as a Sao Paulo datetime."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    cron = _parse(item.cron)
    local = after.astimezone(zone)
    day = local.date()
    for _ in range(366 * 8):  # covers Feb 29 and sparse weekday/day-of-month combinations
        if cron.matches_day(day):
            for hour in sorted(cron.hours):
                for minute in sorted(cron.minutes):
                    candidate = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)
                    if candidate > local:
                        return candidate
        day += dt.timedelta(days=1)
    raise ValueError(f"cron {item.cron!r} never fires")


def _eventbridge_weekdays(field: str) -> str:
    """EventBridge numbers days 1-7 from Sunday; classic cron 0-6."""
    def shift(token: str) -> str:
        base, slash, step = token.partition("/")
        if base == "*":
            return token
        shifted = "-".join(str(int(value) + 1) for value in base.split("-"))
        return shifted + slash + step

    return ",".join(shift(token) for token in field.split(","))


def eventbridge_expression(item: Schedule) -> str:
    """``cron(0 3 * * ? *)``: EventBridge's six fields, one of the two day fields being ``?``."""
    minute, hour, day, month, weekday = item.cron.split()
    _parse(item.cron)
    if weekday == "*":
        weekday = "?"
    elif day == "*":
        day, weekday = "?", _eventbridge_weekdays(weekday)
    else:
        raise ValueError(f"{item.name}: EventBridge cannot restrict both day of month and day of week")
    return f"cron({minute} {hour} {day} {month} {weekday} *)"


def eventbridge_schedule(item: Schedule) -> dict[str, str]:
    """The EventBridge Scheduler fields of ``item`` (``ScheduleExpression`` and its time zone)."""
    return {
        "Name": item.name,
        "ScheduleExpression": eventbridge_expression(item),
        "ScheduleExpressionTimezone": TIMEZONE,
        "Description": item.description,
    }
