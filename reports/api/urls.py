from django.urls import path

from . import forecasts, kpis, replenishment, views

urlpatterns = [
    path("reports/kpis/", kpis.KpisView.as_view(), name="api-reports-kpis"),
    path("reports/kpis/<str:key>/", kpis.KpiView.as_view(), name="api-reports-kpi"),
    path("reports/forecasts/<str:sku>/", forecasts.ForecastView.as_view(), name="api-reports-forecast"),
    path("replenishment/suggestions/", replenishment.SuggestionsView.as_view(), name="api-replenishment-suggestions"),
    path("replenishment/suggestions/accept/", replenishment.AcceptView.as_view(), name="api-replenishment-accept"),
    path("replenishment/suggestions/dismiss/", replenishment.DismissView.as_view(), name="api-replenishment-dismiss"),
    path("replenishment/runs/", replenishment.RunsView.as_view(), name="api-replenishment-runs"),
    path("reports/exports/", views.ExportsView.as_view(), name="api-report-exports"),
    path("reports/exports/<int:pk>/", views.ExportJobView.as_view(), name="api-report-export"),
    path("reports/exports/<int:pk>/download/", views.ExportDownloadView.as_view(), name="api-report-export-download"),
]
