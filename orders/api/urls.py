from django.urls import path

from . import credit_notes, invoices, payments, statements, views

urlpatterns = [
    path("orders/", views.OrdersView.as_view(), name="api-orders"),
    # Before the order URLs: "bulk" would otherwise be taken for an order number.
    path("orders/bulk/", views.OrdersBulkView.as_view(), name="api-orders-bulk"),
    path("orders/<str:number>/", views.OrderDetailView.as_view(), name="api-order"),
    path("orders/<str:number>/lines/", views.OrderLinesView.as_view(), name="api-order-lines"),
    path("orders/<str:number>/hold/", views.OrderHoldView.as_view(), name="api-order-hold"),
    path("orders/<str:number>/release/", views.OrderReleaseView.as_view(), name="api-order-release"),
    path("orders/<str:number>/start-fulfillment/", views.OrderStartFulfillmentView.as_view(), name="api-order-start-fulfillment"),
    path("orders/<str:number>/cancel/", views.OrderCancelView.as_view(), name="api-order-cancel"),
    path("orders/<str:number>/events/", views.OrderEventsView.as_view(), name="api-order-events"),
    path("invoices/", invoices.InvoicesView.as_view(), name="api-invoices"),
    path("invoices/<str:number>/", invoices.InvoiceDetailView.as_view(), name="api-invoice"),
    path("invoices/<str:number>/pdf", invoices.InvoicePdfView.as_view(), name="api-invoice-pdf"),
    path("credit-notes/", credit_notes.CreditNotesView.as_view(), name="api-credit-notes"),
    path("credit-notes/<str:number>/", credit_notes.CreditNoteDetailView.as_view(), name="api-credit-note"),
    path("credit-notes/<str:number>/pdf", credit_notes.CreditNotePdfView.as_view(), name="api-credit-note-pdf"),
    # A customer's statement of account lives with the invoices it lists (customers sits below orders).
    path("customers/<int:customer_id>/statement", statements.CustomerStatementView.as_view(), name="api-customer-statement"),
    path("customers/<int:customer_id>/statement/pdf", statements.CustomerStatementPdfView.as_view(), name="api-customer-statement-pdf"),
    path("invoices/<str:number>/payments/", payments.InvoicePaymentsView.as_view(), name="api-invoice-payments"),
    path("payments/", payments.RemittancesView.as_view(), name="api-payments"),
    path("receivables/ageing/", payments.ReceivablesAgeingView.as_view(), name="api-receivables-ageing"),
]
