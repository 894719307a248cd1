from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.ticket_create, name="create"),
    path("new/targets/", views.target_preview, name="target_preview"),
    path("queue/", views.queue, name="queue"),
    path("reports/", views.reports, name="reports"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/escalate/", views.ticket_escalate, name="escalate"),
    path("<int:pk>/work/", views.staff_detail, name="staff_detail"),
]
