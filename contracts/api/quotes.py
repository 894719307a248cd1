"""/api/v1/quotes/: the account manager quotes a connector outside the contract; the customer's admin accepts or
declines it. Accepting adds the connector to the contract and starts its onboarding engagement."""

from decimal import Decimal

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from config.api import ErrorSerializer, SlugRefField, visible_organizations
from contracts import services
from contracts.api.contract import OrganizationRefSerializer
from contracts.models import Connector, Currency, Quote
from portal import clock, roles
from tickets.models import Ticket

QUOTE_REFUSED = OpenApiResponse(
    ErrorSerializer,
    description="`quote_expired`, `quote_decided` or `quote_not_draft`: the quote is not open for this (409).",
)


class QuoteSerializer(serializers.ModelSerializer):
    ticket = serializers.PrimaryKeyRelatedField(
        queryset=Ticket.objects.none(), help_text="The quote request (a new-connector ticket) the quote answers."
    )
    organization = OrganizationRefSerializer(read_only=True)
    connector = SlugRefField(
        slug_field="slug",
        queryset=Connector.objects.filter(is_active=True),
        required=False,
        help_text="Default: the connector the quote request names.",
    )
    hours = serializers.DecimalField(
        max_digits=7, decimal_places=2, min_value=Decimal("0.25"), max_value=Decimal("10000")
    )
    price = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal(10**9),
        help_text="An amount in `currency`.",
    )
    currency = serializers.ChoiceField(choices=Currency.choices)
    scope = serializers.CharField(max_length=10000, help_text="What the onboarding covers (the engagement's scope).")
    status = serializers.SerializerMethodField()

    class Meta:
        model = Quote
        fields = [
            "id",
            "ticket",
            "organization",
            "connector",
            "hours",
            "price",
            "currency",
            "valid_until",
            "scope",
            "status",
            "created_at",
            "sent_at",
            "decided_at",
            "customer_note",
            "engagement",
        ]
        read_only_fields = ["id", "created_at", "sent_at", "decided_at", "customer_note", "engagement"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["ticket"].queryset = Ticket.objects.visible_to(request.user)
        return fields

    @extend_schema_field(serializers.ChoiceField(choices=Quote.Status.choices))
    def get_status(self, quote) -> str:
        """A sent quote past its validity reads as expired."""
        return quote.status_on(clock.support_today())


class QuoteChangeSerializer(QuoteSerializer):
    """A draft's fields; the ticket and the organization stay as they are."""

    class Meta(QuoteSerializer.Meta):
        read_only_fields = [*QuoteSerializer.Meta.read_only_fields, "ticket"]


class QuoteDecisionSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Anything the account manager should know."
    )


class QuoteFilter(django_filters.FilterSet):
    organization = django_filters.ModelChoiceFilter(queryset=visible_organizations, label="Organization")

    class Meta:
        model = Quote
        fields = ["status", "organization", "ticket"]


class QuoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Quotes for connectors outside the contract. Account managers write, change (drafts) and send them; a
    customer organization's admins read the quotes sent to them and accept or decline them."""

    serializer_class = QuoteSerializer
    filterset_class = QuoteFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not roles.is_support_staff(request.user) and not roles.is_customer_admin(request.user):
            raise PermissionDenied("Quotes are for your organization's administrators.")

    def get_queryset(self):
        return (
            Quote.objects.visible_to(self.request.user)
            .select_related("organization", "connector")
            .order_by("-created_at", "-pk")
        )

    def _answer(self, quote: Quote, code=status.HTTP_200_OK) -> Response:
        return Response(
            QuoteSerializer(self.get_queryset().get(pk=quote.pk), context=self.get_serializer_context()).data,
            status=code,
        )

    @extend_schema(responses={201: QuoteSerializer}, description="Account managers: a draft quote for a quote request.")
    def create(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        quote = services.quote_create(actor=request.user, **body.validated_data)
        return self._answer(quote, status.HTTP_201_CREATED)

    @extend_schema(
        request=QuoteChangeSerializer,
        responses={200: QuoteSerializer, 409: QUOTE_REFUSED},
        description="Account managers change a draft; a sent quote is final.",
    )
    def partial_update(self, request, pk=None):
        quote = self.get_object()
        body = QuoteChangeSerializer(quote, data=request.data, partial=True, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        quote = services.quote_update(actor=request.user, quote=quote, **body.validated_data)
        return self._answer(quote)

    @extend_schema(
        request=None,
        responses={200: QuoteSerializer, 409: QUOTE_REFUSED},
        description="Account managers: sends the draft to the customer's admins by email.",
    )
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        return self._answer(services.quote_send(actor=request.user, quote=self.get_object()))

    @extend_schema(
        request=QuoteDecisionSerializer,
        responses={200: QuoteSerializer, 409: QUOTE_REFUSED},
        description="The customer's admin accepts a sent, unexpired quote: the connector joins the contract and an "
        "onboarding engagement with the quoted hours starts, in one step.",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        body = QuoteDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(services.quote_accept(actor=request.user, quote=self.get_object(), **body.validated_data))

    @extend_schema(
        request=QuoteDecisionSerializer,
        responses={200: QuoteSerializer, 409: QUOTE_REFUSED},
        description="The customer's admin declines a sent quote.",
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        body = QuoteDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(services.quote_decline(actor=request.user, quote=self.get_object(), **body.validated_data))


def register(router) -> None:
    router.register("quotes", QuoteViewSet, basename="quote")
