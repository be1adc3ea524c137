from django.urls import path

from . import documents, views

urlpatterns = [
    path("events/", views.EventsFeedView.as_view(), name="api-events"),
    path("webhooks/subscriptions/", views.SubscriptionsView.as_view(), name="api-webhook-subscriptions"),
    path("webhooks/subscriptions/<int:pk>/", views.SubscriptionDetailView.as_view(), name="api-webhook-subscription"),
    path("webhooks/deliveries/", views.DeliveriesView.as_view(), name="api-webhook-deliveries"),
    path("webhooks/deliveries/<int:pk>/", views.DeliveryDetailView.as_view(), name="api-webhook-delivery"),
    path("webhooks/deliveries/<int:pk>/redeliver/", views.DeliveryRedeliverView.as_view(), name="api-webhook-redeliver"),
    path("document-jobs/<int:pk>/", documents.DocumentJobView.as_view(), name="api-document-job"),
    path("document-jobs/<int:pk>/download/", documents.DocumentJobDownloadView.as_view(), name="api-document-job-download"),
]
