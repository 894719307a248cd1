"""Every REST endpoint lives under /api/v1/; each app registers its viewsets on this router."""

from rest_framework.routers import DefaultRouter

import contracts.api
import hours.api
import portal.api
import tickets.api
import tickets.channels.api

router = DefaultRouter()
contracts.api.register(router)
hours.api.register(router)
portal.api.register(router)
tickets.api.register(router)
tickets.channels.api.register(router)

urlpatterns = router.urls + portal.api.urlpatterns
