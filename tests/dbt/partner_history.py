"""A few days of partner CSV deliveries as bronze, for the incremental-build tests on both targets.

The last day touches only May 2025 (a correction and a new employee), so its build must leave the
March and April partitions of gold.salary_averages as they are.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.partner_bronze import EmployeeRow, write_partner_bronze

DAYS = ("2025-05-01", "2025-05-02", "2025-05-03", "2025-05-04")
# (day, file id, rows, ingested at (UTC), partner)
DELIVERIES: tuple[tuple[str, str, list[EmployeeRow], str, str], ...] = (
    ("2025-05-01", "maio", [(1, 30, True, "100.00", "2025-04-01"), (2, 30, True, "200.00", "2025-04-01"), (3, 40, False, "50.00", "2025-03-15")], "10:00", "acme"),
    # Another partner's employee 1 is another employee; a new month starts.
    ("2025-05-02", "maio", [(1, 30, True, "301.00", "2025-04-01")], "10:00", "sul"),
    ("2025-05-02", "novos", [(4, 50, True, "500.00", "2025-05-01")], "11:00", "acme"),
    # A correction of day 1's employee 2, and two uploads of one day for employee 5: the later wins.
    ("2025-05-03", "correcao", [(2, 30, True, "250.00", "2025-04-01")], "09:00", "acme"),
    ("2025-05-03", "a", [(5, 60, True, "700.00", "2025-05-01")], "10:00", "acme"),
    ("2025-05-03", "b", [(5, 60, True, "800.00", "2025-05-01")], "11:00", "acme"),
    # May only: a correction of employee 4 and a newcomer.
    ("2025-05-04", "maio", [(4, 50, True, "550.00", "2025-05-01"), (7, 25, False, "123.45", "2025-05-20")], "08:30", "acme"),
)  # fmt: skip
LAST_DAY_MONTHS = {(2025, 5)}


def deliver_partner_day(lake: Path, day: str) -> None:
    """Writes the bronze (and manifests) of ``day``'s deliveries into ``lake``."""
    for delivered_on, file_id, rows, at, partner in DELIVERIES:
        if delivered_on == day:
            write_partner_bronze(lake, day, file_id, rows, f"{day}T{at}:00+00:00", partner)
