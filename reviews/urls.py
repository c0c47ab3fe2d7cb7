from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/document/", views.meeting_document, name="meeting_document"),
    path("meetings/<int:pk>/opinions/new/", views.opinion_create, name="opinion_create"),
    path("opinions/", views.opinion_list, name="opinions"),
    path("opinions/mine/", views.my_opinions, name="my_opinions"),
    path("opinions/new/", views.opinion_new, name="opinion_new"),
    path("opinions/<int:pk>/edit/", views.opinion_edit, name="opinion_edit"),
    path("opinions/<int:pk>/respond/", views.opinion_respond, name="opinion_respond"),
    path("evaluations/<int:fiscal_year>/", views.evaluations, name="evaluations"),
]
