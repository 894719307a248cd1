from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    path("manager/", views.manager_home, name="manager_home"),
    # Knowledge base: the fixed paths come before the article slug.
    path("kb/", views.kb, name="kb"),
    path("kb/new/", views.kb_create, name="kb_create"),
    path("kb/suggest/", views.kb_suggest, name="kb_suggest"),
    path("kb/<slug:slug>/", views.kb_article, name="kb_article"),
    path("kb/<slug:slug>/edit/", views.kb_edit, name="kb_edit"),
    path("kb/<slug:slug>/vote/", views.kb_vote, name="kb_vote"),
    # Organization members and invitations.
    path("members/", views.members, name="members"),
    path("members/invite/", views.member_invite, name="member_invite"),
    path("members/<int:pk>/role/", views.member_role, name="member_role"),
    path("members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<str:key>/", views.invitation_accept, name="invitation_accept"),
]
