from django.urls import path

from tickets import calendar_views, solved_views, views, workspace_views
from tickets.reports import views as report_views

app_name = "tickets"

urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.ticket_create, name="create"),
    path("new/targets/", views.target_preview, name="target_preview"),
    path("queue/", views.queue, name="queue"),
    path("queue/bulk/", workspace_views.queue_bulk, name="queue_bulk"),
    path("reports/", report_views.reports, name="reports"),
    path("attainment/", report_views.customer_attainment, name="attainment"),
    path("calendar/", calendar_views.support_calendar, name="calendar"),
    path("calendar/<int:pk>/withdraw/", calendar_views.closure_remove, name="closure_remove"),
    path("macros/", workspace_views.macro_list, name="macros"),
    path("macros/new/", workspace_views.macro_edit, name="macro_new"),
    path("macros/<int:pk>/", workspace_views.macro_edit, name="macro_edit"),
    path("macros/<int:pk>/delete/", workspace_views.macro_delete, name="macro_delete"),
    path("satisfaction/<str:token>/", solved_views.satisfaction_link, name="satisfaction"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/escalate/", views.ticket_escalate, name="escalate"),
    path("<int:pk>/solve/", solved_views.ticket_solve, name="solve"),
    path("<int:pk>/rate/", solved_views.ticket_rate, name="rate"),
    path("<int:pk>/ccs/", workspace_views.ticket_ccs, name="ccs"),
    path("<int:pk>/work/", views.staff_detail, name="staff_detail"),
    path("<int:pk>/work/macro/", workspace_views.macro_apply, name="macro_apply"),
    path("<int:pk>/work/articles/", workspace_views.article_lookup, name="article_lookup"),
    path("<int:pk>/work/presence/", workspace_views.presence, name="presence"),
    path("<int:pk>/work/merge/", workspace_views.ticket_merge, name="merge"),
]
