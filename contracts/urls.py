from django.urls import path

from contracts.views import contract as views

app_name = "contracts"

urlpatterns = [
    path("", views.my_contract, name="my_contract"),
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<int:organization_id>/new-contract/", views.contract_create, name="contract_create"),
    path("<int:pk>/", views.contract_detail, name="contract_detail"),
    path("<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    path("<int:contract_pk>/engagements/new/", views.engagement_form, name="engagement_create"),
    path("<int:contract_pk>/engagements/<int:pk>/", views.engagement_form, name="engagement_edit"),
]
