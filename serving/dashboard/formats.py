"""pt-BR formats for the text the page renders on the server (the charts format in the browser with the same rules)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def integer(value: float) -> str:
    """``1234567`` -> ``1.234.567``."""
    return f"{round(value):,}".replace(",", ".")


def money(value: float) -> str:
    """``12955.49`` -> ``R$ 12.955,49`` (a no-break space after the symbol, as Intl writes it)."""
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):,.2f}".split(".")
    return f"{sign}R$\u00a0{whole.replace(',', '.')},{cents}"


def date(day: dt.date | str) -> str:
    """``2025-03-10`` -> ``10/03/2025``."""
    parsed = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return parsed.strftime("%d/%m/%Y")


def sao_paulo_time(moment: dt.datetime | str) -> str:
    """An aware instant (or its ISO text) as ``10/03/2025 09:00:00`` in America/Sao_Paulo; naive means UTC."""
    parsed = dt.datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(SAO_PAULO).strftime("%d/%m/%Y %H:%M:%S")
