from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from contracts import services
from contracts.entitlements import entitlements_for
from contracts.models import AddOn, CalendarKind, Channel, Contract, Plan, Priority, TargetSource, Tier
from contracts.selectors import contracts_visible_to


class OrganizationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


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
    connectors = serializers.SlugRelatedField(
        slug_field="slug", many=True, required=False, queryset=services.Connector.objects.filter(is_active=True)
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
        ]
        read_only_fields = ["id", "organization"]

    def _entitlements(self, contract):
        cache = self.context.setdefault("_entitlements", {})
        if contract.pk not in cache:
            ent = entitlements_for(contract.organization)
            cache[contract.pk] = ent if ent.contract and ent.contract.pk == contract.pk else None
        return cache[contract.pk]

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


class ContractViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """Contracts visible to the caller: a customer's own organization's, or all for staff."""

    serializer_class = ContractSerializer
    http_method_names = ["get", "patch", "head", "options"]
    filterset_fields = ["status", "plan", "organization"]

    def get_queryset(self):
        return contracts_visible_to(self.request.user).order_by("pk")

    @extend_schema(description="Change a contract. Account managers and admins only.")
    def partial_update(self, request, *args, **kwargs):
        self.get_object()  # another organization's contract is a 404 before it is a 403
        if not services.contract_editable_by(request.user):
            raise PermissionDenied("Only account managers and admins change contracts.")
        return super().partial_update(request, *args, **kwargs)

    def perform_update(self, serializer):
        try:
            serializer.instance = services.contract_update_fields(
                actor=self.request.user, contract=serializer.instance, **serializer.validated_data
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(
                error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
            ) from error


def register(router) -> None:
    router.register("contracts", ContractViewSet, basename="contract")
