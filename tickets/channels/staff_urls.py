"""Staff review of held messages (quarantined and refused), mounted at /tickets/quarantine/."""

from django.urls import path

from tickets.channels import views

app_name = "channels"

urlpatterns = [
    path("", views.quarantine, name="quarantine"),
    path("email/<int:pk>/", views.email_detail, name="email_detail"),
    path("email/<int:pk>/accept/", views.email_accept, name="email_accept"),
    path("email/<int:pk>/accept-reply/", views.email_accept_reply, name="email_accept_reply"),
    path("email/<int:pk>/discard/", views.email_discard, name="email_discard"),
    path("email/<int:pk>/raw/", views.email_raw, name="email_raw"),
    path("slack/<int:pk>/", views.slack_detail, name="slack_detail"),
    path("slack/<int:pk>/dismiss/", views.slack_dismiss, name="slack_dismiss"),
]
