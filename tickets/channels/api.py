"""REST API of the email quarantine, for support staff: /api/v1/inbound-emails/.

What the quarantine pages show, as JSON: lists carry the stored fields only (never the raw message); one
message also carries its headers, text and attachments as read from the raw bytes. Discarding and accepting go
through the same services as the pages.
"""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contracts.api import OrganizationRefSerializer
from portal import roles
from portal.api import UserRefSerializer, refusal_response
from portal.models import Organization, User
from portal.text import OneLineSerializerField
from tickets.channels import mail, services
from tickets.channels.models import InboundEmail

MAX_HEADERS = 200  # as many as the page shows


class IsSupportStaff(permissions.BasePermission):
    message = "Only support staff review the quarantine."

    def has_permission(self, request, view):
        return roles.is_support_staff(request.user)


class InboundEmailSerializer(serializers.ModelSerializer):
    organization = OrganizationRefSerializer(read_only=True, allow_null=True)
    reviewed_by = UserRefSerializer(read_only=True, allow_null=True)
    can_review = serializers.SerializerMethodField()

    class Meta:
        model = InboundEmail
        fields = [
            "id",
            "message_id",
            "message_id_derived",
            "source",
            "sender",
            "subject",
            "authentication",
            "received_at",
            "processed_at",
            "status",
            "reason_code",
            "reason",
            "organization",
            "ticket",
            "raw_size",
            "refusal_sent_at",
            "reviewed_by",
            "reviewed_at",
            "can_review",
        ]
        read_only_fields = fields

    def get_can_review(self, email) -> bool:
        """Staff may still accept or discard it."""
        return email.can_become(InboundEmail.Status.DISCARDED)


class HeaderSerializer(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.CharField()


class AttachmentSerializer(serializers.Serializer):
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    inline = serializers.BooleanField()


class InboundEmailDetailSerializer(InboundEmailSerializer):
    headers = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()
    text_from_html = serializers.SerializerMethodField()
    text_truncated = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()

    class Meta(InboundEmailSerializer.Meta):
        fields = [
            *InboundEmailSerializer.Meta.fields,
            "headers",
            "text",
            "text_from_html",
            "text_truncated",
            "attachments",
        ]
        read_only_fields = fields

    def _read(self, email) -> dict:
        cache = self.context.setdefault("_read", {})
        if email.pk not in cache:
            message = mail.parse(email.raw_bytes)
            cache[email.pk] = {"message": message, "body": mail.body(message)}
        return cache[email.pk]

    @extend_schema_field(HeaderSerializer(many=True))
    def get_headers(self, email):
        items = mail.raw_header_items(self._read(email)["message"])[:MAX_HEADERS]
        return [{"name": name, "value": value} for name, value in items]

    def get_text(self, email) -> str:
        return self._read(email)["body"].text

    def get_text_from_html(self, email) -> bool:
        """The message had no plain text: `text` was converted from its HTML."""
        return self._read(email)["body"].from_html

    def get_text_truncated(self, email) -> bool:
        """`text` is shortened; the raw message has all of it."""
        return self._read(email)["body"].truncated

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, email):
        return [
            {"filename": p.filename, "content_type": p.content_type, "size": p.size, "inline": p.inline}
            for p in self._read(email)["body"].parts
        ]


class AcceptSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    requester = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, membership__isnull=False),
        required=False,
        allow_null=True,
        help_text="A member of the organization; left out, the ticket names the sender's address as its requester.",
    )
    subject = OneLineSerializerField(
        max_length=200, required=False, allow_blank=True, help_text="The message's own subject when left out."
    )

    def validate(self, attrs):
        organization, requester = attrs["organization"], attrs.get("requester")
        if requester is not None and requester.organization != organization:
            raise serializers.ValidationError({"requester": [f"{requester.email} is not a member of {organization}."]})
        return attrs


class InboundEmailViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every email received, newest first: staff filter by `status` (e.g. quarantined, refused) and `reason_code`,
    then accept a held message into an organization (a ticket opens) or discard it (the original stays)."""

    permission_classes = [permissions.IsAuthenticated, IsSupportStaff]
    filterset_fields = ["status", "reason_code", "source", "organization"]

    def get_queryset(self):
        if not roles.is_support_staff(self.request.user):
            return InboundEmail.objects.none()
        emails = InboundEmail.objects.select_related("organization", "reviewed_by").order_by("-received_at", "-pk")
        return emails if self.action == "retrieve" else emails.defer("raw")

    def get_serializer_class(self):
        return InboundEmailDetailSerializer if self.action == "retrieve" else InboundEmailSerializer

    @extend_schema(
        request=None,
        responses={200: InboundEmailSerializer, 400: refusal_response("`invalid`: the message was handled already.")},
    )
    @action(detail=True, methods=["post"], filterset_fields=[])
    def discard(self, request, pk=None):
        """Marks a held message as reviewed and dropped: no ticket, no answer; the original stays on record."""
        email = services.inbound_email_discard(email=self.get_object(), actor=request.user)
        return Response(InboundEmailSerializer(self._fresh(email)).data)

    @extend_schema(
        request=AcceptSerializer,
        responses={
            200: InboundEmailSerializer,
            400: refusal_response("`invalid` (or handled already), or `channel_refused`."),
        },
    )
    @action(detail=True, methods=["post"], filterset_fields=[])
    def accept(self, request, pk=None):
        """Opens a ticket (channel email) from a held message for the organization; `ticket` names it."""
        email = self.get_object()
        body = AcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.inbound_email_accept(email=email, actor=request.user, **body.validated_data)
        return Response(InboundEmailSerializer(self._fresh(email)).data)

    @extend_schema(
        request=None,
        responses={
            200: InboundEmailSerializer,
            400: refusal_response("`invalid`: handled already, or not a held reply that can be posted as its sender."),
        },
    )
    @action(detail=True, methods=["post"], url_path="accept-reply", filterset_fields=[])
    def accept_reply(self, request, pk=None):
        """Posts a held unverified reply (`reason_code` unverified_reply) on its ticket as its sender."""
        email = services.inbound_email_accept_reply(email=self.get_object(), actor=request.user)
        return Response(InboundEmailSerializer(self._fresh(email)).data)

    def _fresh(self, email: InboundEmail) -> InboundEmail:
        return self.get_queryset().get(pk=email.pk)


def register(router) -> None:
    router.register("inbound-emails", InboundEmailViewSet, basename="inbound-email")
