"""Vega-Lite, Vega and Vega-Embed as one script to inline in the page, built offline by vl-convert.

vl-convert (the Vega project's converter) ships the libraries' sources and bundles them without any
download, so the page carries its charting library and opens with no network at all.
"""

from __future__ import annotations

import functools

import vl_convert

VEGA_LITE_VERSION = "6.4"


@functools.cache
def vega_bundle() -> str:
    """The minified bundle, which sets ``window.vegaEmbed`` (the one name the page's script uses).

    Bundling takes a few seconds, so a process builds it once."""
    bundle = vl_convert.javascript_bundle("window.vegaEmbed = vegaEmbed;", vl_version=VEGA_LITE_VERSION)
    return bundle.replace("</script", "<\\/script")


def vega_versions() -> str:
    return (
        f"Vega-Lite {VEGA_LITE_VERSION}, Vega {vl_convert.get_vega_version()},"
        f" Vega-Embed {vl_convert.get_vega_embed_version()}"
    )
