from __future__ import annotations

import datetime as dt

import pytest

from core.calendar import SAO_PAULO
from core.schedules import (
    Schedule,
    eventbridge_expression,
    eventbridge_schedule,
    next_fire_time,
    schedule,
)


def test_aurora_extract_fires_at_three_in_sao_paulo() -> None:
    aurora = schedule("aurora-extract")
    after = dt.datetime(2025, 3, 10, 2, 59, tzinfo=SAO_PAULO)
    assert next_fire_time(aurora, after) == dt.datetime(2025, 3, 10, 3, 0, tzinfo=SAO_PAULO)
    # Exactly at the fire time: the next one is tomorrow's.
    at = dt.datetime(2025, 3, 10, 3, 0, tzinfo=SAO_PAULO)
    assert next_fire_time(aurora, at) == dt.datetime(2025, 3, 11, 3, 0, tzinfo=SAO_PAULO)


def test_next_fire_time_converts_from_utc() -> None:
    # 05:30 UTC is 02:30 in Sao Paulo (UTC-3): today's 03:00 has not passed yet.
    after = dt.datetime(2025, 3, 10, 5, 30, tzinfo=dt.UTC)
    fired = next_fire_time(schedule("aurora-extract"), after)
    assert fired == dt.datetime(2025, 3, 10, 3, 0, tzinfo=SAO_PAULO)
    assert fired.astimezone(dt.UTC).hour == 6


def test_positional_sla_check_at_noon() -> None:
    after = dt.datetime(2025, 12, 31, 13, 0, tzinfo=SAO_PAULO)
    assert next_fire_time(schedule("positional-sla-check"), after) == dt.datetime(2026, 1, 1, 12, 0, tzinfo=SAO_PAULO)


def test_eventbridge_declaration_uses_the_same_cron_and_time_zone() -> None:
    assert eventbridge_schedule(schedule("aurora-extract")) == {
        "Name": "aurora-extract",
        "ScheduleExpression": "cron(0 3 * * ? *)",
        "ScheduleExpressionTimezone": "America/Sao_Paulo",
        "Description": "daily Aurora extraction to bronze/aurora",
    }
    assert eventbridge_expression(schedule("positional-sla-check")) == "cron(0 12 * * ? *)"


def test_weekday_schedules_shift_to_eventbridge_numbering() -> None:
    weekdays = Schedule("weekdays", "30 6 * * 1-5", "job")
    assert eventbridge_expression(weekdays) == "cron(30 6 ? * 2-6 *)"
    # Friday 2025-03-14 06:30 -> Monday 2025-03-17 06:30.
    after = dt.datetime(2025, 3, 14, 6, 30, tzinfo=SAO_PAULO)
    assert next_fire_time(weekdays, after) == dt.datetime(2025, 3, 17, 6, 30, tzinfo=SAO_PAULO)


def test_invalid_cron_is_refused() -> None:
    with pytest.raises(ValueError, match="hour"):
        next_fire_time(Schedule("bad", "0 24 * * *", "job"), dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(KeyError, match="aurora-extract"):
        schedule("nope")
