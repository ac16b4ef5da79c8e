"""`lakehouse docs`: the dbt docs site as one file that opens from disk (no fetch of manifest.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestration.cli import app

runner = CliRunner()


@pytest.mark.slow  # dbt parses, compiles and catalogs the whole project
def test_docs_writes_one_html_file_with_the_manifest_inlined_and_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKEHOUSE_PSEUDONYM_KEY", "docs-test-key")
    lake = tmp_path / "lake"

    result = runner.invoke(app, ["docs", "--lake", str(lake)])

    assert result.exit_code == 0, result.output
    site = lake / "reports" / "dbt-docs.html"
    assert f"dbt docs: {site}" in " ".join(result.stdout.split())
    page = site.read_text()
    # The docs app reads manifest and catalog from its `{manifest: ..., catalog: ...}` object and only
    # fetches the .json files when dbt left the placeholders there: the documents must be inlined.
    assert '"MANIFEST.JSON INLINE DATA"' not in page and '"CATALOG.JSON INLINE DATA"' not in page
    decoder = json.JSONDecoder()
    inlined_manifest, _ = decoder.raw_decode(page, page.index("{manifest:") + len("{manifest:"))
    inlined_catalog, _ = decoder.raw_decode(page, page.index(",catalog:", page.index("{manifest:")) + len(",catalog:"))
    manifest = json.loads((lake / ".dbt" / "target" / "manifest.json").read_text())
    assert inlined_manifest["metadata"]["invocation_id"] == manifest["metadata"]["invocation_id"]
    assert {"model.lakehouse.salary_averages", "model.lakehouse.client_health"} <= set(inlined_manifest["nodes"])
    assert inlined_catalog["metadata"]["dbt_schema_version"].endswith("/catalog/v1.json")
