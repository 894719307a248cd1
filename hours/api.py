"""REST API of hours: /api/v1/time-entries/ and /api/v1/contracts/{id}/hours/.

A refusal by a rule of SPEC's "Hours" answers 400 with a machine-readable `code` and a `detail` that names
the reason; malformed input answers 400 with the field's message. Nothing is stored in either case.
"""

import datetime

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from config.api import ErrorSerializer, SlugRefField, visible_organizations
from contracts.models import Connector, Contract, Engagement
from contracts.periods import contract_year
from hours import rules, selectors, services
from hours.models import MAX_ENTRY_MINUTES, Category, LedgerEntry, TimeEntry, WorkMode
from portal import clock, roles
from portal.api import UserRefSerializer
from portal.models import Organization
from portal.refusals import Refusal
from tickets.models import Ticket

REFUSAL_CODES = [
    "allotment_exhausted",
    "connector_not_in_contract",
    "no_allotment",
    "not_configuration_work",
    "outside_contract",
    "locked",
]


class WholeMinutesField(serializers.IntegerField):
    """Whole minutes as hours.rules reads them: 1.5, "1.5", "2.0", true and "abc" are refused, never rounded."""

    signed = True

    def to_internal_value(self, data):
        try:
            rules.whole_minutes(data, signed=self.signed)
        except ValueError:
            self.fail("invalid")
        return super().to_internal_value(data)


class MinutesField(WholeMinutesField):
    default_error_messages = {
        "invalid": rules.WHOLE_MINUTES,
        "min_value": "Minutes must be at least 1.",
        "max_value": f"One entry holds at most {MAX_ENTRY_MINUTES} minutes (16 hours); split longer work by day.",
        "max_string_length": rules.WHOLE_MINUTES,
    }

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ENTRY_MINUTES, **kwargs)


class TimeEntrySerializer(serializers.ModelSerializer):
    ticket = serializers.PrimaryKeyRelatedField(queryset=Ticket.objects.none(), required=False, allow_null=True)
    engagement = serializers.PrimaryKeyRelatedField(
        queryset=Engagement.objects.filter(status=Engagement.Status.ACTIVE), required=False, allow_null=True
    )
    connector = SlugRefField(slug_field="slug", queryset=Connector.objects.all(), required=False, allow_null=True)
    category = serializers.ChoiceField(choices=Category.choices)
    work_mode = serializers.ChoiceField(
        choices=WorkMode.choices,
        required=False,
        allow_blank=True,
        help_text="Work on an engagement: `online_call` or `offline_work` (required there); empty otherwise.",
    )
    minutes = MinutesField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    organization = serializers.PrimaryKeyRelatedField(read_only=True)
    architect = serializers.SerializerMethodField()
    is_voided = serializers.BooleanField(read_only=True)

    class Meta:
        model = TimeEntry
        fields = [
            "id",
            "ticket",
            "engagement",
            "category",
            "connector",
            "work_mode",
            "work_date",
            "minutes",
            "minutes_debited",
            "note",
            "organization",
            "architect",
            "period_start",
            "created_at",
            "is_voided",
            "voided_at",
            "void_reason",
        ]
        read_only_fields = ["minutes_debited", "period_start", "created_at", "voided_at", "void_reason"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["ticket"].queryset = Ticket.objects.visible_to(request.user)
        return fields

    def get_architect(self, entry) -> str:
        return str(entry.architect)

    def validate_work_date(self, value):
        if value > clock.support_today():
            raise ValidationError(f"The work date {value} is in the future.")
        return value

    def validate(self, attrs):
        if self.instance is None and not attrs.get("ticket") and not attrs.get("engagement"):
            raise ValidationError({"ticket": "Name the configuration ticket or the engagement worked on."})
        return attrs


class VoidSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


class QuoteRequestSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.none())
    connector = SlugRefField(slug_field="slug", queryset=Connector.objects.all())
    ticket = serializers.PrimaryKeyRelatedField(queryset=Ticket.objects.all(), required=False, allow_null=True)


# A refusal is the shared error body; its `code` is one of REFUSAL_CODES, or "invalid" for bad input.
REFUSAL_SCHEMA = OpenApiResponse(
    ErrorSerializer,
    description="Refused: `code` is one of " + ", ".join(f"`{c}`" for c in REFUSAL_CODES) + ", or `invalid`.",
)


class TimeEntryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Solution Architects log, list (their own), change and void time; account managers see every entry;
    a customer's admins read their organization's."""

    serializer_class = TimeEntrySerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["category", "work_date", "organization", "engagement", "ticket"]

    def get_queryset(self):
        return (
            TimeEntry.objects.visible_to(self.request.user)
            .select_related("architect", "organization", "ticket", "engagement", "connector")
            .order_by("-work_date", "-pk")
        )

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not roles.may_read_time_entries(request.user):
            raise PermissionDenied("Time entries are for Solution Architects, account managers and customer admins.")

    def _require_change(self, entry: TimeEntry | None = None) -> None:
        user = self.request.user
        if roles.may_manage_hours(user):
            return
        if not roles.may_log_time(user) or (entry is not None and entry.architect_id != user.pk):
            raise PermissionDenied("Only Solution Architects log time; customers read it.")

    @extend_schema(responses={201: TimeEntrySerializer, 400: REFUSAL_SCHEMA})
    def create(self, request, *args, **kwargs):
        self._require_change()
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.time_entry_log(
            architect=self.request.user,
            category=data["category"],
            minutes=data["minutes"],
            work_date=data["work_date"],
            ticket=data.get("ticket"),
            engagement=data.get("engagement"),
            connector=data.get("connector"),
            work_mode=data.get("work_mode", ""),
            note=data.get("note", ""),
        )

    @extend_schema(responses={200: TimeEntrySerializer, 400: REFUSAL_SCHEMA})
    def partial_update(self, request, *args, **kwargs):
        self._require_change(self.get_object())
        return super().partial_update(request, *args, **kwargs)

    def perform_update(self, serializer):
        data = serializer.validated_data
        changes = {name: data[name] for name in ("ticket", "engagement", "connector", "work_mode") if name in data}
        serializer.instance = services.time_entry_edit(
            actor=self.request.user,
            entry=serializer.instance,
            category=data.get("category"),
            minutes=data.get("minutes"),
            work_date=data.get("work_date"),
            note=data.get("note"),
            **changes,
        )

    @extend_schema(request=VoidSerializer, responses={200: TimeEntrySerializer, 400: REFUSAL_SCHEMA})
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        """Voids the entry: a reversal gives its minutes back; the entry stays on record."""
        entry = self.get_object()
        self._require_change(entry)
        body = VoidSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = services.time_entry_void(actor=request.user, entry=entry, reason=body.validated_data.get("reason", ""))
        return Response(self.get_serializer(entry).data)

    @extend_schema(
        request=QuoteRequestSerializer,
        responses={201: inline_serializer("QuoteTicket", {"ticket": serializers.IntegerField()})},
    )
    @action(detail=False, methods=["post"], url_path="quote-request", url_name="quote-request")
    def quote_request(self, request):
        """Raises a new-connector quote ticket: what a `connector_not_in_contract` refusal offers."""
        self._require_change()
        body = QuoteRequestSerializer(data=request.data)
        body.fields["organization"].queryset = visible_organizations(request)
        body.is_valid(raise_exception=True)
        ticket = services.connector_quote_request(architect=request.user, **body.validated_data)
        return Response({"ticket": ticket.pk}, status=status.HTTP_201_CREATED)


@extend_schema_serializer(many=False)  # the hours "list" answers one contract year, not an array
class UsageSerializer(serializers.Serializer):
    contract = serializers.IntegerField()
    allotted_minutes = serializers.IntegerField()
    used_minutes = serializers.IntegerField()
    remaining_minutes = serializers.IntegerField()
    overage_minutes = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    engagements = serializers.ListField(child=serializers.DictField())


class ContractHoursViewSet(viewsets.ViewSet):
    """A contract year's Solution Architect hours, summed from the ledger."""

    @extend_schema(
        parameters=[OpenApiParameter("on", datetime.date, description="A day of the contract year (default: today).")],
        responses={200: UsageSerializer, 404: REFUSAL_SCHEMA},
    )
    def list(self, request, contract_pk=None):
        contract = get_object_or_404(
            Contract.objects.visible_to(request.user).select_related("organization"), pk=contract_pk
        )
        if not roles.may_read_statement(request.user, contract.organization):
            raise PermissionDenied("The hours statement is for the organization's admins.")
        try:
            day = datetime.date.fromisoformat(request.query_params["on"]) if "on" in request.query_params else None
        except ValueError:
            raise ValidationError({"on": "Write the day as YYYY-MM-DD."}) from None
        day = day or min(max(clock.support_today(), contract.term_start), contract.term_end)
        period = _year_of(contract, day)
        usage = selectors.year_usage(contract, period)
        if usage is None:
            raise Refusal("no_allotment", "This contract has no Solution Architect hours.", status=404)
        engagements = [
            {"id": e.pk, "name": e.name, **selectors.engagement_usage(e).as_api()}
            for e in contract.engagements.exclude(status=Engagement.Status.QUOTED)
        ]
        for row in engagements:
            row.pop("period_start")
            row.pop("period_end")
        return Response({"contract": contract.pk, **usage.as_api(), "engagements": engagements})


class LedgerEntrySerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(read_only=True, allow_null=True, help_text="Who wrote the row; null for the system.")

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "kind",
            "minutes",
            "period_start",
            "engagement",
            "entry",
            "reverses",
            "reason",
            "actor",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {"minutes": {"help_text": "Signed: grants and credits add, debits subtract."}}


class SignedMinutesField(WholeMinutesField):
    default_error_messages = {
        "invalid": rules.WHOLE_SIGNED_MINUTES,
        "max_string_length": rules.WHOLE_SIGNED_MINUTES,
    }


class AdjustmentSerializer(serializers.Serializer):
    minutes = SignedMinutesField(help_text="A credit (positive) or a debit (negative); not zero, at most 60000.")
    reason = serializers.CharField(
        max_length=300, allow_blank=True, help_text="Why; the customer reads it on their statement."
    )
    on = serializers.DateField(
        required=False, help_text="A day of the contract year to adjust (default: today). Ignored for an engagement."
    )
    engagement = serializers.PrimaryKeyRelatedField(
        queryset=Engagement.objects.none(),
        required=False,
        allow_null=True,
        help_text="Adjust this engagement of the contract instead of a contract year.",
    )


def _year_of(contract: Contract, day: datetime.date):
    period = contract_year(contract.term_start, contract.term_end, day)
    if period is None:
        raise Refusal("outside_contract", f"{day} is outside the contract ({rules.term_text(contract)}).")
    return period


def _managed_contract(request, contract_pk):
    """The contract, for an account manager (or admin); another organization's is a 404 before it is a 403."""
    contract = get_object_or_404(
        Contract.objects.visible_to(request.user).select_related("organization"), pk=contract_pk
    )
    if not roles.may_manage_hours(request.user):
        raise PermissionDenied("Only account managers read the hours ledger and adjust hours.")
    return contract


def _date_param(request, name: str) -> datetime.date | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: ["Write the day as YYYY-MM-DD."]}) from None


class ContractLedgerViewSet(viewsets.GenericViewSet):
    """The rows of a contract year's ledger (or an engagement's), oldest first: account managers and admins."""

    serializer_class = LedgerEntrySerializer
    filterset_fields = ["kind"]
    queryset = LedgerEntry.objects.none()  # the rows come from hours.selectors.ledger_for

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "period_start",
                datetime.date,
                description="The contract year that begins on this day (any day of it will do); default: the "
                "current year, or the last one the contract had.",
            ),
            OpenApiParameter("engagement", int, description="An engagement of the contract: its ledger instead."),
        ],
        responses={200: LedgerEntrySerializer(many=True), 400: REFUSAL_SCHEMA},
    )
    def list(self, request, contract_pk=None):
        contract = _managed_contract(request, contract_pk)
        engagement_id = request.query_params.get("engagement")
        if engagement_id:
            engagement = contract.engagements.filter(
                pk=int(engagement_id) if (engagement_id.isascii() and engagement_id.isdigit()) else None
            ).first()
            if engagement is None:
                raise ValidationError({"engagement": ["No such engagement on this contract."]})
            rows = selectors.ledger_for(contract, engagement=engagement)
        else:
            day = _date_param(request, "period_start")
            day = day or min(max(clock.support_today(), contract.term_start), contract.term_end)
            period = _year_of(contract, day)
            rows = selectors.ledger_for(contract, period_start=period.start)
        page = self.paginate_queryset(self.filter_queryset(rows))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ContractAdjustmentViewSet(viewsets.GenericViewSet):
    """Account managers credit or debit a contract year's (or an engagement's) hours, with a reason."""

    serializer_class = AdjustmentSerializer

    @extend_schema(request=AdjustmentSerializer, responses={201: LedgerEntrySerializer, 400: REFUSAL_SCHEMA})
    def create(self, request, contract_pk=None):
        contract = _managed_contract(request, contract_pk)
        body = AdjustmentSerializer(data=request.data)
        body.fields["engagement"].queryset = contract.engagements.all()
        body.is_valid(raise_exception=True)
        data = body.validated_data
        row = services.hours_adjust(
            actor=request.user,
            contract=contract,
            minutes=data["minutes"],
            reason=data["reason"],
            on=data.get("on"),
            engagement=data.get("engagement"),
        )
        return Response(LedgerEntrySerializer(row).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("time-entries", TimeEntryViewSet, basename="time-entry")
    router.register(r"contracts/(?P<contract_pk>\d+)/hours", ContractHoursViewSet, basename="contract-hours")
    router.register(r"contracts/(?P<contract_pk>\d+)/ledger", ContractLedgerViewSet, basename="contract-ledger")
    router.register(
        r"contracts/(?P<contract_pk>\d+)/adjustments", ContractAdjustmentViewSet, basename="contract-adjustment"
    )
