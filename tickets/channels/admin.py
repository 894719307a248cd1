from django.contrib import admin

from portal.admin import ReadOnlyAdmin
from tickets.channels.models import InboundEmail, SlackEvent


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdmin):
    """What arrived is kept as it arrived: staff review it in the quarantine, the admin only shows it."""

    list_display = ["received_at", "sender", "subject", "status", "reason_code", "ticket"]
    list_filter = ["status", "reason_code", "source"]
    search_fields = ["sender", "subject", "message_id"]
    exclude = ["raw"]


@admin.register(SlackEvent)
class SlackEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "channel", "user", "status", "ticket"]
    list_filter = ["status"]
    search_fields = ["event_id", "channel", "user"]
