from django.urls import path

from . import excel_views

app_name = "excel"

urlpatterns = [
    path("", excel_views.reports, name="reports"),
    path("review.xlsx", excel_views.review_workbook, name="review_workbook"),
    path("entry-template.xlsx", excel_views.entry_template, name="entry_template"),
    path("import/", excel_views.import_upload, name="import_upload"),
    path("import/<str:token>/", excel_views.import_preview, name="import_preview"),
    path("import/<str:token>/confirm/", excel_views.import_confirm, name="import_confirm"),
]
