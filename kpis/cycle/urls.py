from django.urls import path

from kpis.cycle.views import entry, fiscal_years, indicators, lineage, review, revisions

app_name = "cycle"

urlpatterns = [
    path("entry/", entry.entry_index, name="entry_index"),
    path("entry/<int:fiscal_year>/", entry.entry, name="entry"),
    path("entry/<int:fiscal_year>/submit/", entry.entry_submit, name="entry_submit"),
    path("review/", review.review_index, name="review_index"),
    path("review/<int:fiscal_year>/", review.review, name="review"),
    path(
        "review/<int:fiscal_year>/<slug:department_code>/", review.review_department, name="review_department"
    ),
    path("fiscal-years/", fiscal_years.fiscal_years, name="fiscal_years"),
    path("indicators/<str:code>/edit/", indicators.indicator_edit, name="indicator_edit"),
    path("indicators/<str:code>/revise/", revisions.indicator_revise_view, name="indicator_revise"),
    path("lineage/link/", lineage.lineage_link, name="lineage_link"),
    path("lineage/baseline/", lineage.lineage_baseline, name="lineage_baseline"),
]
