"""/api/v1/engagements/{id}/milestones/: an engagement's plan. Solution Architects and account managers keep it
(unless it is synced from Asana); the customer reads it."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from config.api import ErrorSerializer
from contracts import services
from contracts.api.contract import PersonRefSerializer
from contracts.models import Engagement, Milestone
from portal.models import User

PLAN_SYNCED = OpenApiResponse(ErrorSerializer, description="`plan_synced`: the plan comes from Asana (409).")


class MilestoneSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=Milestone.Status.choices, required=False)
    owner = PersonRefSerializer(read_only=True, allow_null=True)
    owner_id = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        source="owner",
        write_only=True,
        required=False,
        allow_null=True,
        help_text="One of our staff, or a person of the customer's organization.",
    )
    is_synced = serializers.BooleanField(read_only=True, help_text="Taken from Asana: read-only here.")

    class Meta:
        model = Milestone
        fields = [
            "id",
            "title",
            "due_on",
            "status",
            "owner",
            "owner_id",
            "owner_name",
            "section",
            "position",
            "is_synced",
            "completed_at",
            "updated_at",
        ]
        read_only_fields = ["id", "owner_name", "position", "completed_at", "updated_at"]
        extra_kwargs = {"title": {"max_length": 300}, "section": {"max_length": 300}}


class MilestoneViewSet(viewsets.GenericViewSet):
    """The milestones of an engagement's plan, in plan order."""

    serializer_class = MilestoneSerializer
    queryset = Milestone.objects.none()  # the rows come from the engagement, scoped to the caller

    def engagement(self) -> Engagement:
        """The engagement, if the caller may see it: another organization's is a 404."""
        if not hasattr(self, "_engagement"):
            self._engagement = get_object_or_404(
                Engagement.objects.visible_to(self.request.user).select_related("contract__organization"),
                pk=self.kwargs["engagement_pk"],
            )
        return self._engagement

    def get_queryset(self):
        return self.engagement().milestones.select_related("owner").in_plan_order()

    def list(self, request, engagement_pk=None):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, engagement_pk=None, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        responses={201: MilestoneSerializer, 409: PLAN_SYNCED},
        description="Solution Architects and account managers add a milestone at the end of the plan.",
    )
    def create(self, request, engagement_pk=None):
        engagement = self.engagement()  # another organization's engagement is a 404 before the body is read
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        milestone = services.milestone_save(actor=request.user, engagement=engagement, **body.validated_data)
        return Response(self.get_serializer(milestone).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: MilestoneSerializer, 409: PLAN_SYNCED})
    def partial_update(self, request, engagement_pk=None, pk=None):
        milestone = self.get_object()
        body = self.get_serializer(milestone, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        milestone = services.milestone_save(
            actor=request.user, engagement=self.engagement(), milestone=milestone, **body.validated_data
        )
        return Response(self.get_serializer(milestone).data)

    @extend_schema(responses={204: None, 409: PLAN_SYNCED})
    def destroy(self, request, engagement_pk=None, pk=None):
        services.milestone_delete(actor=request.user, milestone=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    router.register(r"engagements/(?P<engagement_pk>\d+)/milestones", MilestoneViewSet, basename="milestone")
