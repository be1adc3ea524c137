from django.urls import path

from . import forecasts, kpis, views

urlpatterns = [
    path("reports/kpis/", kpis.KpisView.as_view(), name="api-reports-kpis"),
    path("reports/kpis/<str:key>/", kpis.KpiView.as_view(), name="api-reports-kpi"),
    path("reports/forecasts/<str:sku>/", forecasts.ForecastView.as_view(), name="api-reports-forecast"),
    path("reports/exports/", views.ExportsView.as_view(), name="api-report-exports"),
    path("reports/exports/<int:pk>/", views.ExportJobView.as_view(), name="api-report-export"),
    path("reports/exports/<int:pk>/download/", views.ExportDownloadView.as_view(), name="api-report-export-download"),
]
