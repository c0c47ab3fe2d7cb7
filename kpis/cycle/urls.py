from django.urls import path

from kpis.cycle import views

app_name = "cycle"

urlpatterns = [
    path("entry/", views.entry_index, name="entry_index"),
    path("entry/<int:fiscal_year>/", views.entry, name="entry"),
    path("review/", views.review_index, name="review_index"),
    path("review/<int:fiscal_year>/", views.review, name="review"),
    path(
        "review/<int:fiscal_year>/<slug:department_code>/", views.review_department, name="review_department"
    ),
    path("fiscal-years/", views.fiscal_years, name="fiscal_years"),
    path("indicators/<str:code>/edit/", views.indicator_edit, name="indicator_edit"),
]
