"""/api/v1/change-requests/: a customer's admin asks for a change of support level; the account manager answers."""

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from config.api import ErrorSerializer, visible_organizations
from contracts import services
from contracts.api.contract import OrganizationRefSerializer, PersonRefSerializer
from contracts.models import ChangeRequest
from portal import roles

ANSWER_REFUSED = OpenApiResponse(
    ErrorSerializer, description="`status_not_allowed`: the request's status cannot move that way (409)."
)


class ChangeRequestSerializer(serializers.ModelSerializer):
    change = serializers.ChoiceField(choices=ChangeRequest.Change.choices)
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, help_text="What you need and why (required for `other`)."
    )
    status = serializers.ChoiceField(choices=ChangeRequest.Status.choices, read_only=True)
    organization = OrganizationRefSerializer(read_only=True)
    requested_by = PersonRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "change",
            "status",
            "note",
            "response",
            "created_at",
            "decided_at",
            "applied_at",
            "organization",
            "requested_by",
        ]
        read_only_fields = ["id", "response", "created_at", "decided_at", "applied_at"]


class ChangeRequestAnswerSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=ChangeRequest.Status.choices,
        help_text="Account managers: `in_discussion`, `accepted` or `declined`. The organization's admins: "
        "`withdrawn`.",
    )
    response = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=4000,
        help_text="The account manager's answer, which the customer reads (required to decline).",
    )


class ChangeRequestFilter(django_filters.FilterSet):
    organization = django_filters.ModelChoiceFilter(queryset=visible_organizations, label="Organization")

    class Meta:
        model = ChangeRequest
        fields = ["status", "change", "organization"]


class ChangeRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Requests to change a support level. A customer organization's admins ask and read theirs (members may not);
    staff read all; account managers answer."""

    serializer_class = ChangeRequestSerializer
    filterset_class = ChangeRequestFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not roles.is_support_staff(request.user) and not roles.is_customer_admin(request.user):
            raise PermissionDenied("Changes of support level are asked for by your organization's administrators.")

    def get_queryset(self):
        return (
            ChangeRequest.objects.visible_to(self.request.user)
            .select_related("organization", "requested_by")
            .order_by("-created_at", "-pk")
        )

    @extend_schema(
        responses={201: ChangeRequestSerializer},
        description="An organization admin asks for a change of their support level; their account manager is told.",
    )
    def create(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        change_request = services.change_request_open(actor=request.user, **body.validated_data)
        return Response(self.get_serializer(change_request).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ChangeRequestAnswerSerializer,
        responses={200: ChangeRequestSerializer, 409: ANSWER_REFUSED},
        description="The account manager answers (the customer is emailed); the organization's admins may withdraw "
        "a request that is still open.",
    )
    def partial_update(self, request, pk=None):
        change_request = self.get_object()
        body = ChangeRequestAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change_request = services.change_request_answer(
            actor=request.user, request=change_request, **body.validated_data
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=change_request.pk)).data)


def register(router) -> None:
    router.register("change-requests", ChangeRequestViewSet, basename="change-request")
