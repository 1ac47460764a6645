"""Core pages that need no login: the site icon."""

from __future__ import annotations

import pytest

from merezha.core.views import ICON_SVG

pytestmark = pytest.mark.django_db


def test_site_icon_is_public_svg_and_every_page_links_it(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r["Content-Type"] == "image/svg+xml"
    assert r.content.decode() == ICON_SVG and "max-age=86400" in r["Cache-Control"]
    assert (
        '<link rel="icon" type="image/svg+xml" href="/favicon.ico">' in client.get("/login/").content.decode()
    )
    assert client.post("/favicon.ico").status_code == 405
