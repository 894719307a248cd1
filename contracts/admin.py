from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from contracts.models import AddOn, Connector, Contract, Engagement, ResponseTarget, SlackChannel


class AddOnInline(admin.TabularInline):
    model = AddOn
    extra = 0


class EngagementInline(admin.StackedInline):
    model = Engagement
    extra = 0


@admin.register(Contract)
class ContractAdmin(SimpleHistoryAdmin):
    list_display = ["organization", "plan", "status", "term_start", "term_end", "sa_hours_per_year"]
    list_filter = ["status", "plan"]
    search_fields = ["organization__name"]
    filter_horizontal = ["connectors"]
    inlines = [AddOnInline, EngagementInline]


@admin.register(Connector)
class ConnectorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active"]
    prepopulated_fields = {"slug": ("name",)}


@admin.register(SlackChannel)
class SlackChannelAdmin(SimpleHistoryAdmin):
    list_display = ["channel_id", "name", "organization"]


@admin.register(ResponseTarget)
class ResponseTargetAdmin(SimpleHistoryAdmin):
    list_display = ["source", "priority", "target_minutes", "calendar"]
    list_editable = ["target_minutes"]
    list_filter = ["source"]


@admin.register(Engagement)
class EngagementAdmin(SimpleHistoryAdmin):
    list_display = ["name", "contract", "status", "quoted_hours"]
