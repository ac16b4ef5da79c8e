"""How a failure is named in reports and job records: its type and the first line of its message.

Publisher, dbt and ingestion messages are built to carry no secret and no raw personal data; keeping
only the first line also keeps tracebacks and driver dumps out of the reports.
"""

from __future__ import annotations


def describe_error(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"
