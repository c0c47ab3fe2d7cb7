from django.urls import path

from reports.pack import views

app_name = "pack"

urlpatterns = [
    path("meetings/<int:pk>/pack.pdf", views.meeting_pack, name="meeting_pack"),
]
