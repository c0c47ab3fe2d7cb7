from django.urls import path

from . import api

app_name = "api"

urlpatterns = [
    path("indicators.json", api.indicators_json, name="indicators_json"),
    path("indicators.csv", api.indicators_csv, name="indicators_csv"),
]
