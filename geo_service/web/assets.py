"""Offline assets for folium maps: Leaflet from the vendored copy, never from a CDN.

folium links jQuery, Bootstrap, Font Awesome and awesome-markers from CDNs by default. The
maps built here need none of them (popups and tooltips are bound with plain Leaflet), so the
map loads Leaflet alone:

- ``AssetMode.SERVED``: ``<script src="/static/vendor/leaflet/leaflet.js">``, served by the app;
- ``AssetMode.INLINE``: the JS/CSS text is inlined (images as data URIs), so an exported file
  opened from disk works with no network at all.

``external_asset_urls`` finds any remote ``.js``/``.css`` reference left in rendered HTML; the
map renderer refuses to return a page that has one.
"""

from __future__ import annotations

import base64
import re
from enum import StrEnum
from functools import cache
from pathlib import Path

import folium
from branca.element import Element

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
STATIC_URL = "/static"

LEAFLET_JS = "leaflet/leaflet.js"
LEAFLET_CSS = "leaflet/leaflet.css"
MARKERCLUSTER_JS = "markercluster/leaflet.markercluster.js"
MARKERCLUSTER_CSS = ("markercluster/MarkerCluster.css", "markercluster/MarkerCluster.Default.css")

# A remote script or stylesheet: src/href (or CSS url()/@import) ending in .js or .css,
# optionally followed by a query string. Tile URL templates end in .png and are allowed.
_REMOTE_ASSET = re.compile(
    r"""(?:https?:)?//[^\s"'()<>]+?\.(?:js|css)(?:\?[^\s"'()<>]*)?(?=["'()\s>]|$)""",
    re.IGNORECASE,
)
_CSS_IMAGE = re.compile(r"url\((images/[\w.-]+\.png)\)")


class RawHtml(Element):
    """HTML inserted verbatim. branca's ``Element(text)`` compiles ``text`` as a Jinja
    template, so data containing ``{{`` would be evaluated; this element never is."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self._html = html

    def render(self, **kwargs: object) -> str:
        return self._html


class AssetMode(StrEnum):
    """Where the page gets Leaflet from."""

    SERVED = "served"  # from the app's /static mount
    INLINE = "inline"  # embedded in the HTML (standalone export)


def use_local_assets(fmap: folium.Map, mode: AssetMode) -> None:
    """Point ``fmap`` at the vendored Leaflet instead of folium's CDN defaults.

    Instance attributes shadow folium's class-level lists, so other maps are unaffected.
    """
    if mode is AssetMode.SERVED:
        fmap.default_js = [("leaflet", f"{STATIC_URL}/vendor/{LEAFLET_JS}")]
        fmap.default_css = [("leaflet_css", f"{STATIC_URL}/vendor/{LEAFLET_CSS}")]
        return
    fmap.default_js = []
    fmap.default_css = []
    header = fmap.get_root().header  # type: ignore[attr-defined]
    header.add_child(RawHtml(f"<style>{_inline_leaflet_css()}</style>"), name="leaflet_css")
    header.add_child(RawHtml(f"<script>{_inline_js(LEAFLET_JS)}</script>"), name="leaflet")


def use_local_cluster_assets(cluster: Element, fmap: folium.Map, mode: AssetMode) -> None:
    """Point a folium ``MarkerCluster`` at the vendored Leaflet.markercluster (after
    ``use_local_assets``, so that it loads after Leaflet)."""
    if mode is AssetMode.SERVED:
        cluster.default_js = [("markerclusterjs", f"{STATIC_URL}/vendor/{MARKERCLUSTER_JS}")]  # type: ignore[attr-defined]
        cluster.default_css = [  # type: ignore[attr-defined]
            (path, f"{STATIC_URL}/vendor/{path}") for path in MARKERCLUSTER_CSS
        ]
        return
    cluster.default_js = []  # type: ignore[attr-defined]
    cluster.default_css = []  # type: ignore[attr-defined]
    css = "".join((VENDOR_DIR / path).read_text(encoding="utf-8") for path in MARKERCLUSTER_CSS)
    header = fmap.get_root().header  # type: ignore[attr-defined]
    header.add_child(RawHtml(f"<style>{css}</style>"), name="markercluster_css")
    header.add_child(
        RawHtml(f"<script>{_inline_js(MARKERCLUSTER_JS)}</script>"), name="markercluster"
    )


def external_asset_urls(html: str) -> list[str]:
    """Remote ``.js``/``.css`` URLs referenced by ``html`` (should always be empty)."""
    return sorted({match.group(0) for match in _REMOTE_ASSET.finditer(html)})


@cache
def _inline_js(path: str) -> str:
    text = (VENDOR_DIR / path).read_text(encoding="utf-8")
    # "</script" inside inlined code would end the element early; split it harmlessly.
    text = re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)
    return re.sub(r"//# sourceMappingURL=\S+", "", text)


@cache
def _inline_leaflet_css() -> str:
    css_path = VENDOR_DIR / LEAFLET_CSS
    text = css_path.read_text(encoding="utf-8")

    def as_data_uri(match: re.Match[str]) -> str:
        image = css_path.parent / match.group(1)
        if not image.is_file():
            return match.group(0)
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    return re.sub(r"</(style)", r"<\\/\1", _CSS_IMAGE.sub(as_data_uri, text), flags=re.IGNORECASE)
