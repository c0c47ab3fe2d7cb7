from django.urls import path

from reports.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("goals/<str:code>/", views.goal_detail, name="goal"),
    path("indicators/", views.indicator_list, name="indicators"),
    path("indicators/<str:code>/", views.indicator_detail, name="indicator"),
    path("departments/<slug:code>/", views.department_detail, name="department"),
    path("lineage/", views.plan_comparison, name="lineage"),
    path("grades.css", views.grade_css, name="grade_css"),
]
