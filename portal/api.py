"""REST API of the portal app: /api/v1/articles/, /api/v1/members/, /api/v1/invitations/ and /api/v1/me/.

A thin layer over portal.services and portal.selectors: reads go through the selectors' scoping, writes
through the services, and the services' refusals become the shared error body (config.api).
"""

import django_filters
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.fields import empty
from rest_framework.response import Response

from config.api import ErrorSerializer, SlugRefField, visible_organizations
from contracts.api import OrganizationRefSerializer
from portal import roles, selectors, services
from portal.models import TIME_ZONE_CHOICES, Article, Category, Invitation, Membership, Organization, User
from portal.text import OneLineSerializerField


def refusal_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    full_name = serializers.CharField(read_only=True)


class StrictBooleanField(serializers.BooleanField):
    """A boolean that must be sent: a form post without it is an error, never a silent `false`."""

    default_empty_html = empty


# Knowledge base -------------------------------------------------------------------------------


class CategorySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.SlugField(read_only=True)


class ArticleSerializer(serializers.ModelSerializer):
    category = CategorySerializer(read_only=True)
    tags = serializers.ListField(child=serializers.CharField(), source="tag_list", read_only=True)
    excerpt = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id",
            "title",
            "slug",
            "category",
            "tags",
            "visibility",
            "status",
            "excerpt",
            "published_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_excerpt(self, article) -> str:
        return article.excerpt()


class VoteSummarySerializer(serializers.Serializer):
    helpful = serializers.IntegerField(help_text="Readers who found the article helpful.")
    not_helpful = serializers.IntegerField(help_text="Readers who did not.")
    mine = serializers.BooleanField(allow_null=True, help_text="The caller's own answer; null before they vote.")


class ArticleDetailSerializer(ArticleSerializer):
    body_html = serializers.CharField(read_only=True, help_text="The sanitized rendering of the Markdown.")
    votes = serializers.SerializerMethodField()

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "body_markdown", "body_html", "votes"]
        read_only_fields = fields

    @extend_schema_field(VoteSummarySerializer)
    def get_votes(self, article):
        return selectors.article_vote_summary(article=article, user=self.context["request"].user)


class ArticleWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    slug = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Made from the title when left out."
    )
    category = SlugRefField(slug_field="slug", queryset=Category.objects.all())
    body_markdown = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=20)
    visibility = serializers.ChoiceField(choices=Article.Visibility.choices, required=False)
    status = serializers.ChoiceField(choices=Article.Status.choices, required=False)


class VoteSerializer(serializers.Serializer):
    helpful = StrictBooleanField(help_text="Was the article helpful?")


class ArticleFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(field_name="category__slug", label="A category's slug")
    tag = django_filters.CharFilter(method="filter_tag", max_length=50, label="Articles carrying this tag")
    search = django_filters.CharFilter(
        method="filter_search", max_length=200, label="Words to look for; results come best match first"
    )

    class Meta:
        model = Article
        fields = ["category", "tag", "status", "visibility", "search"]

    def filter_tag(self, queryset, name, value):
        return queryset.with_tag(value)

    def filter_search(self, queryset, name, value):
        return selectors.article_search(user=self.request.user, query=value, every_word=True).filter(
            pk__in=queryset.values("pk")
        )


class ArticleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Help articles the caller may read: staff every one (drafts too), customers published ones.
    Support staff write them."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = ArticleFilter

    def get_queryset(self):
        return selectors.article_list(user=self.request.user).select_related("author")

    def get_serializer_class(self):
        return ArticleSerializer if self.action == "list" else ArticleDetailSerializer

    def _require_author(self) -> None:
        if not roles.is_support_staff(self.request.user):
            raise PermissionDenied("Only support staff write articles.")

    def _saved(self, article: Article, *, status_code=status.HTTP_200_OK) -> Response:
        return Response(
            ArticleDetailSerializer(article, context=self.get_serializer_context()).data, status=status_code
        )

    @extend_schema(
        request=ArticleWriteSerializer,
        responses={201: ArticleDetailSerializer, 400: refusal_response("`invalid`, or `reserved_slug`.")},
        description="Support staff only. New articles are drafts unless `status` says `published`.",
    )
    def create(self, request):
        self._require_author()
        body = ArticleWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data["tags"] = ", ".join(data.get("tags", []))
        article = services.article_save(actor=request.user, **data)
        return self._saved(article, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=ArticleWriteSerializer,
        responses={200: ArticleDetailSerializer, 400: refusal_response("`invalid`, or `reserved_slug`.")},
        description="Support staff only; the fields left out keep their values.",
    )
    def partial_update(self, request, pk=None):
        article = self.get_object()
        self._require_author()
        body = ArticleWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        fields = {
            "title": article.title,
            "slug": article.slug,
            "category": article.category,
            "body_markdown": article.body_markdown,
            "tags": article.tags,
            "visibility": article.visibility,
            "status": article.status,
        }
        fields.update(body.validated_data)
        if "tags" in body.validated_data:
            fields["tags"] = ", ".join(body.validated_data["tags"])
        article = services.article_save(actor=request.user, article=article, **fields)
        return self._saved(article)

    @extend_schema(request=VoteSerializer, responses={200: VoteSummarySerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def vote(self, request, pk=None):
        """Records whether the article helped the caller, replacing their earlier answer; returns the tally."""
        article = self.get_object()
        body = VoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.article_vote(article=article, user=request.user, is_helpful=body.validated_data["helpful"])
        return Response(selectors.article_vote_summary(article=article, user=request.user))


# Members and invitations ----------------------------------------------------------------------


class MembershipSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True)
    organization = OrganizationRefSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "organization", "role", "created_at"]
        read_only_fields = fields


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class MembershipFilter(django_filters.FilterSet):
    organization = django_filters.ModelChoiceFilter(queryset=visible_organizations, label="Staff: one organization")

    class Meta:
        model = Membership
        fields = ["organization", "role"]


def _require_manager(user, organization: Organization) -> None:
    if not roles.may_manage_members(user, organization):
        raise PermissionDenied("Only the organization's administrators manage its members.")


class MembershipViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The people of the caller's organization (staff: of every organization). Its administrators, and staff,
    change roles and remove people; an organization always keeps one administrator."""

    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return (
            Membership.objects.visible_to(self.request.user)
            .select_related("user", "organization")
            .order_by("organization__name", "user__email", "pk")
        )

    @extend_schema(
        request=RoleSerializer,
        responses={200: MembershipSerializer, 400: refusal_response("`invalid`, or `last_admin`.")},
        description="Administrators of the organization, and staff: give the person another role.",
    )
    def partial_update(self, request, pk=None):
        membership = self.get_object()
        _require_manager(request.user, membership.organization)
        body = RoleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        membership = services.membership_change_role(
            actor=request.user, membership=membership, role=body.validated_data["role"]
        )
        return Response(self.get_serializer(membership).data)

    @extend_schema(
        responses={204: None, 400: refusal_response("`last_admin`: make someone else an administrator first.")},
        description="Administrators of the organization, and staff: remove the person, whose account is then "
        "deactivated.",
    )
    def destroy(self, request, pk=None):
        membership = self.get_object()
        _require_manager(request.user, membership.organization)
        services.membership_remove(actor=request.user, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationSerializer(serializers.ModelSerializer):
    organization = OrganizationRefSerializer(read_only=True)
    invited_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Invitation
        # Never the key (it travels in the email alone) nor its hash.
        fields = ["id", "organization", "email", "role", "invited_by", "created_at", "expires_at"]
        read_only_fields = fields


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(),
        required=False,
        help_text="Staff name the organization; a customer's administrators invite into their own.",
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["organization"].queryset = visible_organizations(self.context.get("request"))
        return fields


class InvitationFilter(django_filters.FilterSet):
    organization = django_filters.ModelChoiceFilter(queryset=visible_organizations, label="Staff: one organization")

    class Meta:
        model = Invitation
        fields = ["organization", "role"]


class InvitationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Pending invitations: an organization's administrators (and staff) invite people and withdraw invitations.
    The link's key is mailed to the invited address and never shown here."""

    serializer_class = InvitationSerializer
    filterset_class = InvitationFilter
    http_method_names = ["get", "post", "delete", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not (roles.is_support_staff(request.user) or roles.is_customer_admin(request.user)):
            raise PermissionDenied("Only the organization's administrators manage its invitations.")

    def get_queryset(self):
        return (
            Invitation.objects.visible_to(self.request.user)
            .pending()
            .select_related("organization", "invited_by")
            .order_by("organization__name", "email", "pk")
        )

    @extend_schema(
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer, 400: refusal_response("`invalid`, or `account_exists`.")},
        description="Mails a one-time link to the address; a new invitation replaces a pending one to the same "
        "address. Staff must name the organization.",
    )
    def create(self, request):
        body = InvitationCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        organization = data.get("organization")
        if organization is None:
            if roles.is_support_staff(request.user):
                raise ValidationError({"organization": ["Staff must name the organization."]})
            organization = request.user.organization
        invitation = services.invitation_create(
            actor=request.user, organization=organization, email=data["email"], role=data["role"]
        )
        return Response(self.get_serializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, description="Withdraws the invitation: its link stops working.")
    def destroy(self, request, pk=None):
        invitation = self.get_object()
        services.invitation_revoke(actor=request.user, invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Profile --------------------------------------------------------------------------------------


class MeSerializer(serializers.ModelSerializer):
    full_name = OneLineSerializerField(max_length=150, required=False, allow_blank=True)
    time_zone = serializers.ChoiceField(choices=TIME_ZONE_CHOICES, help_text="Dates and times are shown in it.")
    organization = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField()
    is_support_staff = serializers.BooleanField(read_only=True)
    is_admin = serializers.BooleanField(source="is_superuser", read_only=True)
    staff_roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "full_name",
            "time_zone",
            "organization",
            "role",
            "is_support_staff",
            "is_admin",
            "staff_roles",
        ]
        read_only_fields = ["id", "email"]

    @extend_schema_field(OrganizationRefSerializer(allow_null=True))
    def get_organization(self, user):
        organization = user.organization
        return {"id": organization.pk, "name": organization.name} if organization else None

    @extend_schema_field(serializers.ChoiceField(choices=Membership.Role.choices, allow_null=True))
    def get_role(self, user) -> str | None:
        membership = getattr(user, "membership", None)
        return membership.role if membership else None

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=[(name, name) for name in roles.STAFF_GROUPS]))
    )
    def get_staff_roles(self, user) -> list[str]:
        return [name for name in roles.STAFF_GROUPS if roles.has_role(user, name)]


class MeView(generics.RetrieveUpdateAPIView):
    """The caller's own profile, organization and role; they change their name and time zone."""

    serializer_class = MeSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user

    def perform_update(self, serializer):
        user = self.request.user
        for name, value in serializer.validated_data.items():
            setattr(user, name, value)
        user.full_clean(exclude=["password"], validate_unique=False)
        user.save(update_fields=list(serializer.validated_data))


# Routes ---------------------------------------------------------------------------------------


def register(router) -> None:
    router.register("articles", ArticleViewSet, basename="article")
    router.register("members", MembershipViewSet, basename="member")
    router.register("invitations", InvitationViewSet, basename="invitation")


urlpatterns = [path("me/", MeView.as_view(), name="me")]
