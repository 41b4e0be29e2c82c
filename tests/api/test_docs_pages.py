"""/docs and /redoc come with their scripts from the app, not from a CDN (issue 10, item 6).

The browser tests (test_map_browser.py) show that they render offline; these run without
Chromium and pin down what the pages ask for.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from geo_service.api.routes.docs_pages import LOCAL_IMAGES_ONLY

ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


@pytest.mark.parametrize(
    ("page", "scripts"),
    [
        ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css"}),
        ("/redoc", {"redoc.standalone.js"}),
    ],
)
def test_docs_pages_load_their_assets_from_the_app(
    client: TestClient, page: str, scripts: set[str]
) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assets = ASSET.findall(response.text)
    assert assets, response.text[:500]
    assert [url for url in assets if not url.startswith("/")] == []
    assert scripts <= {url.rsplit("/", 1)[1] for url in assets}
    for url in assets:
        served = client.get(url)
        assert served.status_code == 200 and len(served.content) > 1000, url
    # ReDoc's sidebar logo is hard-wired to another host: the policy keeps it in the browser.
    assert response.headers["content-security-policy"] == LOCAL_IMAGES_ONLY


def test_the_docs_policy_is_not_put_on_other_responses(client: TestClient) -> None:
    assert "content-security-policy" not in client.get("/api/model-types").headers
