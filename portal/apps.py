from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal and accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal import metrics

        metrics.register()
