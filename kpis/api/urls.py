from django.urls import path

from kpis.api import views

app_name = "api"

urlpatterns = [
    path("indicators.json", views.indicators_json, name="indicators_json"),
    path("indicators.csv", views.indicators_csv, name="indicators_csv"),
]
