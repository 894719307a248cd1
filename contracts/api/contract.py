import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from config.api import SlugRefField, visible_organizations
from contracts import services
from contracts.entitlements import entitlements_for, entitlements_for_many
from contracts.models import (
    AddOn,
    CalendarKind,
    ChangeRequest,
    Channel,
    Connector,
    Contract,
    Engagement,
    Plan,
    Priority,
    TargetSource,
    Tier,
)
from portal import roles


class OrganizationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="get_full_name", read_only=True)


class ResponseTargetSerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices)
    target_minutes = serializers.IntegerField()
    calendar = serializers.ChoiceField(choices=CalendarKind.choices)
    source = serializers.ChoiceField(choices=TargetSource.choices)


class AddOnListField(serializers.ListField):
    child = serializers.ChoiceField(choices=AddOn.Kind.choices)

    def to_representation(self, data):
        return sorted(a.kind for a in data.all() if a.is_active)


class ContractSerializer(serializers.ModelSerializer):
    organization = OrganizationRefSerializer(read_only=True)
    tier = serializers.SerializerMethodField()
    add_ons = AddOnListField(required=False, allow_empty=True)
    response_targets = serializers.SerializerMethodField()
    channels = serializers.SerializerMethodField()
    sa_hours_per_year = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0, required=False)
    connectors = SlugRefField(
        slug_field="slug", many=True, required=False, queryset=Connector.objects.filter(is_active=True)
    )
    change_request = serializers.PrimaryKeyRelatedField(
        queryset=ChangeRequest.objects.filter(status=ChangeRequest.Status.ACCEPTED),
        write_only=True,
        required=False,
        help_text="An accepted change request of the organization that this change applies (it is marked applied).",
    )

    class Meta:
        model = Contract
        fields = [
            "id",
            "organization",
            "plan",
            "status",
            "tier",
            "add_ons",
            "term_start",
            "term_end",
            "sa_hours_per_year",
            "rounding_increment_minutes",
            "rollover",
            "overage_approved",
            "connectors",
            "escalation_channel",
            "response_targets",
            "channels",
            "change_request",
        ]
        read_only_fields = ["id", "organization"]

    def _entitlements(self, contract):
        """The organization's entitlements when this contract is the one in force; None otherwise.

        A list passes every organization's entitlements in the context (`entitlements_for_many`).
        """
        known = self.context.setdefault("entitlements", {})
        if contract.organization_id not in known:
            known[contract.organization_id] = entitlements_for(contract.organization)
        ent = known[contract.organization_id]
        return ent if ent.contract and ent.contract.pk == contract.pk else None

    @extend_schema_field(serializers.ChoiceField(choices=Tier.choices))
    def get_tier(self, contract) -> str:
        from contracts.entitlements import support_tier

        return support_tier(contract.plan, {a.kind for a in contract.add_ons.all() if a.is_active})

    @extend_schema_field(ResponseTargetSerializer(many=True))
    def get_response_targets(self, contract):
        ent = self._entitlements(contract)
        if ent is None:
            return []
        return [
            {"priority": r.priority, "target_minutes": r.target_minutes, "calendar": r.calendar, "source": r.source}
            for r in ent.response_targets
        ]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices)))
    def get_channels(self, contract):
        ent = self._entitlements(contract)
        if ent is None:
            return []
        order = [c.value for c in Channel]
        return sorted(ent.channels, key=order.index)

    def validate_plan(self, value):
        if value not in Plan.values:
            raise serializers.ValidationError("Unknown plan.")
        return value


class ContractFilter(django_filters.FilterSet):
    organization = django_filters.ModelChoiceFilter(queryset=visible_organizations, label="Organization")

    class Meta:
        model = Contract
        fields = ["status", "plan", "organization"]


class ContractViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """Contracts visible to the caller: a customer's own organization's, or all for staff."""

    serializer_class = ContractSerializer
    http_method_names = ["get", "patch", "head", "options"]
    filterset_class = ContractFilter

    def get_queryset(self):
        return (
            Contract.objects.visible_to(self.request.user)
            .select_related("organization")
            .prefetch_related(Prefetch("add_ons", queryset=AddOn.objects.order_by("kind")), "connectors")
            .order_by("pk")
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {
            **self.get_serializer_context(),
            "entitlements": entitlements_for_many({c.organization for c in page}),
        }
        return self.get_paginated_response(self.get_serializer_class()(page, many=True, context=context).data)

    @extend_schema(description="Change a contract. Account managers and admins only.")
    def partial_update(self, request, *args, **kwargs):
        self.get_object()  # another organization's contract is a 404 before it is a 403
        if not roles.may_edit_contracts(request.user):
            raise PermissionDenied("Only account managers and admins change contracts.")
        return super().partial_update(request, *args, **kwargs)

    def perform_update(self, serializer):
        serializer.instance = services.contract_update_fields(
            actor=self.request.user, contract=serializer.instance, **serializer.validated_data
        )


class EngagementSerializer(serializers.ModelSerializer):
    contract = serializers.PrimaryKeyRelatedField(
        queryset=Contract.objects.none(), help_text="Set when the engagement is created; it stays with its contract."
    )
    organization = OrganizationRefSerializer(source="contract.organization", read_only=True)
    agreed_channels = serializers.ListField(
        child=serializers.ChoiceField(choices=[("ticket", "Tickets"), ("email", "Email"), ("slack", "Slack")]),
        read_only=True,
    )

    class Meta:
        model = Engagement
        fields = [
            "id",
            "contract",
            "organization",
            "name",
            "scope",
            "quoted_hours",
            "status",
            "via_ticket",
            "via_email",
            "via_slack",
            "agreed_channels",
            "board_url",
            "asana_project_gid",
            "asana_synced_at",
            "asana_sync_error",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "organization",
            "agreed_channels",
            "asana_synced_at",
            "asana_sync_error",
            "created_at",
        ]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["contract"].queryset = Contract.objects.visible_to(request.user)
        return fields


class EngagementFilter(django_filters.FilterSet):
    organization = django_filters.ModelChoiceFilter(
        field_name="contract__organization", queryset=visible_organizations, label="Organization"
    )

    class Meta:
        model = Engagement
        fields = ["status", "contract", "organization"]


class EngagementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Configuration Support engagements (quoted projects): staff see all, a customer their organization's.
    Account managers and admins create and change them."""

    serializer_class = EngagementSerializer
    filterset_class = EngagementFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            Engagement.objects.visible_to(self.request.user)
            .select_related("contract__organization")
            .order_by("-created_at", "-pk")
        )

    def _require_editor(self) -> None:
        if not roles.may_edit_contracts(self.request.user):
            raise PermissionDenied("Only account managers and admins change engagements.")

    def _save(self, **fields) -> Engagement:
        return services.engagement_save(actor=self.request.user, **fields)

    @extend_schema(
        responses={201: EngagementSerializer},
        description="Account managers and admins. An active engagement switches on the contract's Configuration "
        "Support add-on.",
    )
    def create(self, request):
        self._require_editor()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        engagement = self._save(contract=fields.pop("contract"), **fields)
        return Response(self.get_serializer(engagement).data, status=status.HTTP_201_CREATED)

    @extend_schema(description="Account managers and admins; the fields left out keep their values.")
    def partial_update(self, request, pk=None):
        engagement = self.get_object()
        self._require_editor()
        serializer = self.get_serializer(engagement, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        if fields.pop("contract", engagement.contract) != engagement.contract:
            raise serializers.ValidationError({"contract": ["An engagement stays with its contract."]})
        engagement = self._save(contract=engagement.contract, engagement=engagement, **fields)
        return Response(self.get_serializer(self.get_queryset().get(pk=engagement.pk)).data)


def register(router) -> None:
    router.register("contracts", ContractViewSet, basename="contract")
    router.register("engagements", EngagementViewSet, basename="engagement")
