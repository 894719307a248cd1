from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from config import api_docs
from portal.metrics import metrics
from portal.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs.swagger, name="api-docs"),
    path("api/redoc/", api_docs.redoc, name="api-redoc"),
    path("contracts/", include("contracts.urls")),
    path("integrations/", include("tickets.channels.urls")),
    path("tickets/quarantine/", include("tickets.channels.staff_urls")),
    path("tickets/", include("tickets.urls")),
    path("hours/", include("hours.urls")),
    path("", include("portal.urls")),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
