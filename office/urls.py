from django.urls import path

from office import plan_state, plans, views

app_name = "office"

urlpatterns = [
    path("audit/", views.audit_log, name="audit"),
    path("settings/grade-bands/", views.grade_bands, name="grade_bands"),
    path("settings/cycle/", views.cycle_settings, name="cycle_settings"),
    path("settings/roles/", views.roles, name="roles"),
    path("settings/roles/<int:pk>/", views.role_edit, name="role_edit"),
    path("settings/plans/", plans.plans, name="plans"),
    path("settings/plans/template.xlsx", plans.plan_template, name="plan_template"),
    path("settings/plans/upload/", plans.plan_upload, name="plan_upload"),
    path("settings/plans/upload/<str:token>/", plans.plan_preview, name="plan_preview"),
    path("settings/plans/upload/<str:token>/confirm/", plans.plan_confirm, name="plan_confirm"),
    path("settings/plans/<slug:code>/export.xlsx", plans.plan_export, name="plan_export"),
    path("settings/plans/<slug:code>/state/", plan_state.plan_state, name="plan_state"),
]
