"""``reports/dashboard.html`` of the lake (its folder, or its bucket on AWS): the analysts' questions and
the run's health, as one self-contained page.

Vega-Lite charts over small aggregates of the published gold views, embedded in the page with the
charting library itself: the file opens offline, can be mailed as is, and fetches nothing (a
Content-Security-Policy forbids it). Filters (period, convenio, UF) re-aggregate in the browser;
every chart exports what it shows as CSV. Text and numbers in pt-BR, times in America/Sao_Paulo.
"""

from __future__ import annotations

from serving.dashboard.gold import read_gold_from
from serving.dashboard.page import DASHBOARD_KEY, publish_dashboard, render_dashboard, write_dashboard

__all__ = ["DASHBOARD_KEY", "publish_dashboard", "read_gold_from", "render_dashboard", "write_dashboard"]
