"""Machine endpoints of the intake channels, mounted at /integrations/."""

from django.urls import path

from tickets.channels import views

app_name = "integrations"

urlpatterns = [
    path("email/inbound/", views.email_inbound, name="email_inbound"),
    path("slack/events/", views.slack_events, name="slack_events"),
]
