import django_filters
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from config.api import ErrorSerializer, visible_organizations
from config.pagination import KeysetPagination
from contracts.models import Priority, TargetSource
from portal import roles
from portal.models import Organization, User
from portal.text import OneLineSerializerField
from tickets import selectors, services, solved, workspace
from tickets.macros import tag_names
from tickets.models import (
    OPEN_STATUSES,
    Comment,
    Kind,
    Rating,
    SatisfactionRating,
    SlaState,
    Status,
    Ticket,
    TicketChannel,
    WaitingOn,
)
from tickets.search import ticket_search


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    name = serializers.CharField(source="get_full_name", read_only=True)


class SatisfactionSerializer(serializers.ModelSerializer):
    rating = serializers.ChoiceField(choices=Rating.choices, help_text='"good" or "bad".')
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    rated_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = SatisfactionRating
        fields = ["rating", "comment", "rated_at"]


class TagsField(serializers.ListField):
    """A ticket's tag names: read with the ticket by a list endpoint, else from its tags."""

    def get_attribute(self, ticket):
        request = self.context.get("request")
        if request is None or not roles.is_support_staff(request.user):
            return None  # staff only: customers (and a caller unknown) read null, and their lists read no tags
        return selectors.tag_names(ticket)


class TicketSerializer(serializers.ModelSerializer):
    organization = RefSerializer(source="organization_ref", read_only=True)
    subject = OneLineSerializerField(max_length=200, help_text="One line: line breaks become spaces.")
    organization_id = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.none(),
        source="organization",
        write_only=True,
        required=False,
        help_text="Staff only: the organization a ticket is opened for. Customers always open for their own.",
    )
    requester = PersonSerializer(read_only=True, allow_null=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    assignee_id = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), source="assignee", write_only=True, required=False, allow_null=True
    )
    kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.QUESTION)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    channel = serializers.ChoiceField(choices=TicketChannel.choices, read_only=True)
    created_at = serializers.DateTimeField(source="received_at", read_only=True)
    sla_policy = serializers.SerializerMethodField()
    sla_state = serializers.SerializerMethodField()
    priority_reason = serializers.CharField(
        write_only=True,
        required=False,
        max_length=300,
        help_text="Required with a change of priority; the customer reads it.",
    )
    waiting_on = serializers.SerializerMethodField()
    waiting_since = serializers.SerializerMethodField()
    escalated = serializers.SerializerMethodField()
    merged_into = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    satisfaction = SatisfactionSerializer(read_only=True, allow_null=True)
    tags = TagsField(
        child=serializers.CharField(max_length=40),
        required=False,
        allow_null=True,
        help_text="Staff only: the ticket's tags (null for customers). Staff may replace them with PATCH.",
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "organization",
            "organization_id",
            "requester",
            "subject",
            "description",
            "kind",
            "priority",
            "priority_reason",
            "status",
            "channel",
            "assignee",
            "assignee_id",
            "created_at",
            "first_response_due_at",
            "first_response_at",
            "sla_policy",
            "sla_state",
            "waiting_on",
            "waiting_since",
            "escalated",
            "merged_into",
            "satisfaction",
            "tags",
        ]
        read_only_fields = ["id", "first_response_due_at", "first_response_at"]

    def get_fields(self):
        fields = super().get_fields()
        fields["organization_id"].queryset = visible_organizations(self.context.get("request"))
        return fields

    @extend_schema_field(serializers.ChoiceField(choices=TargetSource.choices, allow_null=True))
    def get_sla_policy(self, ticket) -> str | None:
        return ticket.sla_policy or None

    @extend_schema_field(serializers.ChoiceField(choices=SlaState.choices))
    def get_sla_state(self, ticket) -> str:
        return ticket.sla_state(now=self.context.get("now") or timezone.now())

    @extend_schema_field(
        serializers.ChoiceField(
            choices=WaitingOn.choices,
            allow_null=True,
            help_text="Whose turn it is in the conversation: `us` (support) or `customer`; null once solved.",
        )
    )
    def get_waiting_on(self, ticket) -> str | None:
        return ticket.waiting_on if ticket.is_open and ticket.waiting_on else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True, help_text="Since when that turn lasts."))
    def get_waiting_since(self, ticket):
        if not (ticket.is_open and ticket.waiting_on and ticket.waiting_since):
            return None
        return serializers.DateTimeField().to_representation(ticket.waiting_since)

    @extend_schema_field(serializers.BooleanField(help_text="Escalated to the on-call team."))
    def get_escalated(self, ticket) -> bool:
        return ticket.escalated_at is not None


class CommentSerializer(serializers.ModelSerializer):
    author = PersonSerializer(read_only=True, allow_null=True)
    public = serializers.BooleanField(default=True, help_text="Staff choose; a customer's comment is always public.")

    class Meta:
        model = Comment
        fields = ["id", "body", "public", "author", "created_at"]
        read_only_fields = ["id", "created_at"]


class ViewCountSerializer(serializers.Serializer):
    view = serializers.ChoiceField(choices=selectors.QueueView.choices)
    label = serializers.CharField()
    count = serializers.IntegerField()


class TicketOrdering(django_filters.ChoiceFilter):
    """`?ordering=`: newest first by default; `deadline` is the staff queue's order."""

    CHOICES = [
        ("-created_at", "Newest first (the default)"),
        ("created_at", "Oldest first"),
        (
            "deadline",
            "The queue's order: running first-response clocks, soonest deadline first; then the longest waiting "
            "on us; then those waiting on the customer",
        ),
        *[(key, label) for key, label in selectors.SORT_CHOICES if key not in ("deadline",)],
    ]

    def __init__(self, **kwargs):
        super().__init__(choices=self.CHOICES, label="Ordering", **kwargs)

    def filter(self, qs, value):
        if value == "created_at":
            return qs.order_by("received_at", "pk")
        if value and value != "-created_at":
            return selectors.tickets_sorted(qs, value)
        return qs


class TicketFilter(django_filters.FilterSet):
    open = django_filters.BooleanFilter(
        method="filter_open", label="Open tickets (new, open, pending customer, on hold): the queue's tickets"
    )
    ordering = TicketOrdering()
    organization = django_filters.ModelChoiceFilter(queryset=visible_organizations, label="Organization")
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        label="Every word must match the number, subject, description or messages (staff: internal notes too)",
    )
    view = django_filters.ChoiceFilter(
        choices=selectors.QueueView.choices,
        method="filter_view",
        label="One of the queue's views, over open tickets (`mine`: assigned to me; for a customer, my requests)",
    )
    tag = django_filters.CharFilter(method="filter_tag", max_length=40, label="Staff only: tickets with this tag")

    class Meta:
        model = Ticket
        fields = ["status", "priority", "kind", "channel", "organization"]

    def filter_open(self, queryset, name, value):
        return queryset.open() if value else queryset.exclude(status__in=OPEN_STATUSES)

    def filter_search(self, queryset, name, value):
        return ticket_search(queryset, value, include_notes=roles.is_support_staff(self.request.user))

    def filter_view(self, queryset, name, value):
        condition = selectors.view_condition(value, user=self.request.user, now=timezone.now())
        return queryset.open().filter(condition)

    def filter_tag(self, queryset, name, value):
        if not roles.is_support_staff(self.request.user):
            raise serializers.ValidationError({"tag": ["Tags are for support staff."]})
        return queryset.filter(tags__name=value.strip().lower())


class TicketViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Tickets visible to the caller. Customers open tickets (channel `api`); staff update them."""

    serializer_class = TicketSerializer
    pagination_class = KeysetPagination  # a million tickets: no page counts them all, a deep page costs a first one
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = TicketFilter

    def get_queryset(self):
        tickets = (
            Ticket.objects.visible_to(self.request.user)
            .select_related("requester", "assignee", "satisfaction")  # the organization: its id and name on the row
            .order_by("-received_at", "-pk")
        )
        if roles.is_support_staff(self.request.user):
            tickets = selectors.with_tag_names(tickets)  # staff only (TagsField)
        return tickets

    def perform_create(self, serializer):
        user = self.request.user
        data = serializer.validated_data
        if roles.is_support_staff(user):
            organization = data.get("organization")
            if organization is None:
                raise serializers.ValidationError({"organization_id": "Staff must name the organization."})
        else:
            organization = user.organization
            if organization is None:
                raise PermissionDenied("Only customers and staff open tickets.")
        serializer.instance = services.ticket_open(
            organization=organization,
            requester=user,
            subject=data["subject"],
            description=data["description"],
            kind=data["kind"],
            priority=data["priority"],
            channel=TicketChannel.API,
        )

    @extend_schema(description="Staff only: status, priority (with `priority_reason`), assignee and tags.")
    def partial_update(self, request, *args, **kwargs):
        ticket = self.get_object()
        if not roles.is_support_staff(request.user):
            raise PermissionDenied("Only support staff change tickets.")
        serializer = self.get_serializer(ticket, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        unexpected = set(data) - {"status", "priority", "priority_reason", "assignee", "tags"}
        if unexpected:
            raise serializers.ValidationError(dict.fromkeys(sorted(unexpected), "This field cannot be changed here."))
        # All of it in one transaction, as the workspace's form: a refused part changes nothing.
        workspace.ticket_update(
            ticket=ticket,
            actor=request.user,
            status=data.get("status", ""),
            assignee=data.get("assignee", workspace.UNCHANGED),
            priority=data.get("priority", ""),
            priority_reason=data.get("priority_reason", ""),
            tags=tag_names(data["tags"]) if data.get("tags") is not None else None,
        )
        ticket = self.get_queryset().get(pk=ticket.pk)
        return Response(self.get_serializer(ticket).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(responses=CommentSerializer(many=True), request=None)
    @action(
        detail=True,
        methods=["get"],
        url_path="comments",
        serializer_class=CommentSerializer,
        filterset_class=None,
    )
    def comments(self, request, pk=None):
        ticket = self.get_object()
        qs = ticket.comments.select_related("author").order_by("created_at", "pk")
        if not roles.is_support_staff(request.user):
            qs = qs.filter(public=True)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(request=CommentSerializer, responses={201: CommentSerializer})
    @comments.mapping.post
    def add_comment(self, request, pk=None):
        ticket = self.get_object()
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        public = serializer.validated_data.get("public", True) if roles.is_support_staff(request.user) else True
        comment = services.comment_add(
            ticket=ticket,
            author=request.user,
            body=serializer.validated_data["body"],
            public=public,
            channel=TicketChannel.API,
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=SatisfactionSerializer,
        responses={
            201: SatisfactionSerializer,
            409: OpenApiResponse(ErrorSerializer, description="`already_rated`: the ticket has its rating already."),
        },
        description=(
            "The requester rates their solved (or closed) ticket: `rating` is `good` or `bad`, with an optional "
            "`comment`. Once per ticket; a second rating answers 409 `already_rated`, an open ticket 400 "
            "`not_solved`, anyone but the requester 403 `not_requester`."
        ),
    )
    @action(detail=True, methods=["post"], url_path="satisfaction", filterset_class=None)
    def satisfaction(self, request, pk=None):
        ticket = self.get_object()
        serializer = SatisfactionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = solved.satisfaction_rate(
            ticket=ticket,
            rater=request.user,
            rating=serializer.validated_data["rating"],
            comment=serializer.validated_data.get("comment", ""),
            via=SatisfactionRating.Via.API,
        )
        return Response(SatisfactionSerializer(answer).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: ViewCountSerializer(many=True)},
        description="The queue's views with the number of open tickets visible to the caller in each.",
    )
    @action(detail=False, methods=["get"], url_path="views", filterset_class=None, pagination_class=None)
    def views(self, request):
        if roles.is_support_staff(request.user):
            counts = selectors.queue_counts(user=request.user)
        else:
            counts = selectors.view_counts(self.get_queryset(), user=request.user)
        rows = [{"view": v.value, "label": v.label, "count": counts[v.value]} for v in selectors.QueueView]
        return Response(ViewCountSerializer(rows, many=True).data)


def register(router) -> None:
    router.register("tickets", TicketViewSet, basename="ticket")
