from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("", include("reports.dashboards.urls")),  # dashboards: /, /goals/, /indicators/, /departments/
    path("", include("kpis.cycle.urls")),  # entry and review: /entry/, /review/, /fiscal-years/…
    path("", include("reviews.urls")),  # meetings, opinions, evaluations
    path("", include("reports.pack.urls")),  # a meeting's pack (会議資料): /meetings/<id>/pack.pdf
    path("api/v1/", include("kpis.api.urls")),  # open data: /api/v1/indicators.json|.csv
    path("reports/", include("reports.excel.urls")),  # workbook, templates, uploads
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("office.urls")),  # planning office: /audit/, /settings/grade-bands/, /settings/roles/
    path("admin/", admin.site.urls),
]

# Error pages in the site's layout (templates/400.html … 500.html); 403 and 404 are Django's own handlers.
handler400 = "lib.error_pages.bad_request"  # also a request too large to read: 413
handler500 = "lib.error_pages.server_error"  # needs neither the database nor the request
