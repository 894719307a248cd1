"""The API documentation is served from the portal's own static files, under the strict content security policy."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_swagger_ui_loads_only_our_own_files_and_no_inline_script(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in sources
    assert "<style" not in page and not re.search(r"<script>(?!</script>)", page)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    script = client.get("/api/docs/", {"script": ""})
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_redoc_loads_only_our_own_files_and_only_its_page_allows_inline_styles(client):
    response = client.get("/api/redoc/")
    assert response.status_code == 200
    page = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources == ["/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"]
    assert "<style" not in page and not re.search(r"<script>(?!</script>)", page)
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self' 'unsafe-inline'"  # ReDoc writes its styles as it renders
    assert "unsafe-inline" not in client.get("/api/docs/")["Content-Security-Policy"]
    assert "unsafe-inline" not in client.get("/accounts/login/")["Content-Security-Policy"]
