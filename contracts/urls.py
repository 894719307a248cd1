from django.urls import path

from contracts.views import changes, plans, quotes
from contracts.views import contract as views

app_name = "contracts"

urlpatterns = [
    path("", views.my_contract, name="my_contract"),
    path("levels/", changes.levels, name="levels"),
    path("changes/", changes.change_request_list, name="change_request_list"),
    path("changes/new/", changes.change_request_create, name="change_request_create"),
    path("changes/<int:pk>/", changes.change_request_detail, name="change_request_detail"),
    path("quotes/", quotes.quote_list, name="quote_list"),
    path("quotes/new/", quotes.quote_create, name="quote_create"),
    path("quotes/<int:pk>/", quotes.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/edit/", quotes.quote_edit, name="quote_edit"),
    path("quotes/<int:pk>/send/", quotes.quote_send, name="quote_send"),
    path("quotes/<int:pk>/accept/", quotes.quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/decline/", quotes.quote_decline, name="quote_decline"),
    path("engagements/<int:pk>/", plans.engagement_detail, name="engagement_detail"),
    path("engagements/<int:pk>/sync/", plans.engagement_sync, name="engagement_sync"),
    path("engagements/<int:engagement_pk>/milestones/new/", plans.milestone_form, name="milestone_create"),
    path("engagements/<int:engagement_pk>/milestones/<int:pk>/", plans.milestone_form, name="milestone_edit"),
    path(
        "engagements/<int:engagement_pk>/milestones/<int:pk>/delete/", plans.milestone_delete, name="milestone_delete"
    ),
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<int:organization_id>/new-contract/", views.contract_create, name="contract_create"),
    path("<int:pk>/", views.contract_detail, name="contract_detail"),
    path("<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    path("<int:contract_pk>/engagements/new/", views.engagement_form, name="engagement_create"),
    path("<int:contract_pk>/engagements/<int:pk>/", views.engagement_form, name="engagement_edit"),
]
