from django.contrib import admin, messages

from tickets import services
from tickets.models import ClosureDay, Comment, SatisfactionRating, SlaAlert, Tag, Ticket, TicketEvent


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    fields = ["created_at", "author", "public", "is_staff_reply", "body"]
    readonly_fields = fields
    can_delete = False


class EventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    fields = ["created_at", "kind", "actor", "message"]
    readonly_fields = fields
    can_delete = False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["pk", "subject", "organization", "priority", "status", "sla_policy", "first_response_due_at"]
    list_filter = ["status", "priority", "kind", "channel", "tier", "waiting_on", "premium"]
    search_fields = ["subject", "organization__name"]
    raw_id_fields = ["requester", "assignee", "organization", "engagement", "connector"]
    readonly_fields = [
        "first_response_due_at",
        "at_risk_due_at",
        "first_response_at",
        "at_risk_at",
        "breached_at",
        "sla_policy",
        "sla_target_minutes",
        "sla_calendar",
        "sla_clock_start",
        "sla_candidates",
        "waiting_on",
        "waiting_since",
        "escalated_at",
        "solved_at",
        "merged_into",
    ]
    filter_horizontal = ["tags"]
    inlines = [CommentInline, EventInline]


@admin.register(ClosureDay)
class ClosureDayAdmin(admin.ModelAdmin):
    """Closure days change open tickets' deadlines, so saving goes through the service that recounts them."""

    list_display = ["date", "action", "reason", "created_by"]
    fields = ["date", "action", "reason"]

    def save_model(self, request, obj, form, change):
        if change and "date" in form.changed_data:
            services.closure_day_delete(actor=request.user, closure=ClosureDay.objects.get(pk=obj.pk))
        closure, moved = services.closure_day_save(
            actor=request.user, date=obj.date, action=obj.action, reason=obj.reason
        )
        obj.pk = closure.pk
        messages.info(request, f"{moved} open ticket deadline(s) recomputed.")

    def delete_model(self, request, obj):
        moved = services.closure_day_delete(actor=request.user, closure=obj)
        messages.info(request, f"{moved} open ticket deadline(s) recomputed.")

    def delete_queryset(self, request, queryset):
        for closure in queryset:
            self.delete_model(request, closure)


@admin.register(SlaAlert)
class SlaAlertAdmin(admin.ModelAdmin):
    list_display = ["ticket", "kind", "created_at"]
    list_filter = ["kind"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(SatisfactionRating)
class SatisfactionRatingAdmin(admin.ModelAdmin):
    """Ratings are the requesters' own words: readable here, never edited."""

    list_display = ["ticket", "rating", "via", "rated_by", "created_at"]
    list_filter = ["rating", "via"]
    readonly_fields = ["ticket", "rating", "comment", "rated_by", "via", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
