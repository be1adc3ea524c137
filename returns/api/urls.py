from django.urls import path

from . import views

urlpatterns = [
    path("returns/", views.ReturnsView.as_view(), name="api-returns"),
    path("returns/<str:number>/", views.ReturnDetailView.as_view(), name="api-return"),
    path("returns/<str:number>/approve/", views.ReturnApproveView.as_view(), name="api-return-approve"),
    path("returns/<str:number>/reject/", views.ReturnRejectView.as_view(), name="api-return-reject"),
    path("returns/<str:number>/receive/", views.ReturnReceiveView.as_view(), name="api-return-receive"),
    path("returns/<str:number>/inspect/", views.ReturnInspectView.as_view(), name="api-return-inspect"),
    path("returns/<str:number>/exchange/", views.ReturnExchangeView.as_view(), name="api-return-exchange"),
    path("returns/<str:number>/cancel/", views.ReturnCancelView.as_view(), name="api-return-cancel"),
    path("returns/<str:number>/refund/", views.ReturnRefundView.as_view(), name="api-return-refund"),
    path("returns/<str:number>/refunds/<int:refund_id>/retry/", views.ReturnRefundRetryView.as_view(), name="api-return-refund-retry"),
    path("returns/<str:number>/slip.pdf", views.ReturnSlipView.as_view(), name="api-return-slip"),
    path("returns/<str:number>/events/", views.ReturnEventsView.as_view(), name="api-return-events"),
]
