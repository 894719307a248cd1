from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from portal import outbox
from portal.models import Article, ArticleVote, Category, Invitation, Membership, Organization, OutboxMessage, User
from portal.services import article_save


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records written only by the portal's services (ledgers, raw messages): the admin shows, never writes."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.StackedInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_superuser"]
    search_fields = ["email", "full_name"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "time_zone")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "account_manager", "created_at"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role", "organization"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "status", "visibility", "updated_at"]
    list_filter = ["status", "visibility", "category"]
    search_fields = ["title", "tags", "body_markdown"]
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ["author", "published_at", "created_at", "updated_at"]
    fields = [
        "title",
        "slug",
        "category",
        "tags",
        "visibility",
        "status",
        "body_markdown",
        "author",
        "published_at",
        "created_at",
        "updated_at",
    ]

    def save_model(self, request, obj, form, change):
        # The sanitized HTML and the publication stamp come from the same service as the portal's editor.
        fields = ["title", "slug", "category", "tags", "visibility", "status", "body_markdown"]
        article_save(actor=request.user, article=obj, **{name: form.cleaned_data[name] for name in fields})


@admin.register(ArticleVote)
class ArticleVoteAdmin(admin.ModelAdmin):
    list_display = ["article", "user", "is_helpful", "updated_at"]
    list_filter = ["is_helpful"]
    raw_id_fields = ["article", "user"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are sent from the members page, which alone can email the one-time key."""

    list_display = ["email", "organization", "role", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_filter = ["organization", "role"]
    search_fields = ["email"]
    readonly_fields = [
        "organization",
        "email",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
    ]
    exclude = ["key_hash"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Every message the portal sent or is sending; one that failed shows its error and can be sent again."""

    list_display = ["created_at", "summary", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status"]
    search_fields = ["summary", "key", "last_error"]
    actions = ["resend"]

    @admin.action(description="Send again (built from current data)")
    def resend(self, request, queryset):
        for message in queryset:
            outbox.resend(message)
        self.message_user(request, f"{queryset.count()} message(s) queued to be sent again.")
