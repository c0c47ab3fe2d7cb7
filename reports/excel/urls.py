"""The URLs of the reports page (/reports/, namespace "excel"): downloads and the import steps."""

from django.urls import path

from reports.excel import views

app_name = "excel"

urlpatterns = [
    path("", views.reports, name="reports"),
    path("review.xlsx", views.review_workbook, name="review_workbook"),
    path("entry-template.xlsx", views.entry_template, name="entry_template"),
    path("import/", views.import_upload, name="import_upload"),
    path("import/<str:token>/", views.import_preview, name="import_preview"),
    path("import/<str:token>/confirm/", views.import_confirm, name="import_confirm"),
]
