"""The API's documentation pages, served from the portal's own static files (drf-spectacular-sidecar)."""

from csp.decorators import csp_update
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

# Swagger UI's start-up script is served as a file (the split view): the strict policy holds unchanged.
swagger = SpectacularSwaggerSplitView.as_view(url_name="api-schema")


class RedocView(SpectacularRedocView):
    """ReDoc without the Google Fonts and the inline style of drf-spectacular's own template."""

    template_name = "api/redoc.html"


# ReDoc draws its styles into <style> elements as it renders and runs its search in a worker made from a
# blob: URL. This page alone allows those two; scripts stay 'self' only, like everywhere else.
redoc = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})(
    RedocView.as_view(url_name="api-schema")
)
