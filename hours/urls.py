from django.urls import path

from hours import views

app_name = "hours"

urlpatterns = [
    path("log/", views.log, name="log"),
    path("week/", views.week, name="week"),
    path("customers/", views.customers, name="customers"),
    path("quote-request/", views.quote_request, name="quote_request"),
    path("entries/<int:pk>/edit/", views.entry_edit, name="entry_edit"),
    path("entries/<int:pk>/void/", views.entry_void, name="entry_void"),
    path("contracts/<int:pk>/ledger/", views.ledger, name="ledger"),
    path("contracts/<int:pk>/overage/", views.overage, name="overage"),
    path("statement/", views.statement, name="statement"),
    path("statement/entries.csv", views.statement_csv, name="statement_csv"),
]
