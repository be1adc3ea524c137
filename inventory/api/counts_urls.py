from django.urls import path

from . import counts_views as views

urlpatterns = [
    path("cycle-counts/", views.CycleCountsView.as_view(), name="api-cycle-counts"),
    path("cycle-counts/<int:id>/", views.CycleCountDetailView.as_view(), name="api-cycle-count"),
    path("cycle-counts/<int:id>/scans/", views.CycleCountScanView.as_view(), name="api-cycle-count-scans"),
    path("cycle-counts/<int:id>/counts/", views.CycleCountSubmitView.as_view(), name="api-cycle-count-submit"),
    path("cycle-counts/<int:id>/approve/", views.CycleCountApproveView.as_view(), name="api-cycle-count-approve"),
    path("cycle-counts/<int:id>/recount/", views.CycleCountRecountView.as_view(), name="api-cycle-count-recount"),
    path("cycle-counts/<int:id>/cancel/", views.CycleCountCancelView.as_view(), name="api-cycle-count-cancel"),
]
