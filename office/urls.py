from django.urls import path

from office import plan_state, views

app_name = "office"

urlpatterns = [
    path("audit/", views.audit_log, name="audit"),
    path("settings/grade-bands/", views.grade_bands, name="grade_bands"),
    path("settings/cycle/", views.cycle_settings, name="cycle_settings"),
    path("settings/roles/", views.roles, name="roles"),
    path("settings/roles/<int:pk>/", views.role_edit, name="role_edit"),
    path("settings/plans/<slug:code>/state/", plan_state.plan_state, name="plan_state"),
]
