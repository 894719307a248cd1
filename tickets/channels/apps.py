from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    """The intake channels (email, Slack): the raw messages they keep and the quarantine staff review."""

    name = "tickets.channels"
    label = "channels"
    verbose_name = "Intake channels"
    default_auto_field = "django.db.models.BigAutoField"
