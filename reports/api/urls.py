from django.urls import path

from . import views

urlpatterns = [
    path("reports/exports/", views.ExportsView.as_view(), name="api-report-exports"),
    path("reports/exports/<int:pk>/", views.ExportJobView.as_view(), name="api-report-export"),
    path("reports/exports/<int:pk>/download/", views.ExportDownloadView.as_view(), name="api-report-export-download"),
]
