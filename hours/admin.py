from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from hours.models import HoursBalance, LedgerEntry, TimeEntry, UsageNotice
from portal.admin import ReadOnlyAdmin  # hours change through hours.services only: the admin reads


@admin.register(TimeEntry)
class TimeEntryAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = [
        "pk",
        "work_date",
        "architect",
        "organization",
        "category",
        "minutes",
        "minutes_debited",
        "voided_at",
    ]
    list_filter = ["category", "organization"]
    date_hierarchy = "work_date"


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["pk", "created_at", "contract", "engagement", "period_start", "kind", "minutes", "actor", "reason"]
    list_filter = ["kind"]


@admin.register(HoursBalance)
class HoursBalanceAdmin(ReadOnlyAdmin):
    list_display = ["contract", "engagement", "period_start", "granted_minutes", "adjusted_minutes", "used_minutes"]


@admin.register(UsageNotice)
class UsageNoticeAdmin(ReadOnlyAdmin):
    list_display = ["contract", "period_start", "threshold", "used_minutes", "allotted_minutes", "sent_at"]
