from django.urls import path

from . import views

urlpatterns = [
    path("customers/", views.CustomersView.as_view(), name="api-customers"),
    path("customers/<int:customer_id>/", views.CustomerDetailView.as_view(), name="api-customer"),
    path("customers/<int:customer_id>/store-credit/", views.CustomerStoreCreditView.as_view(), name="api-customer-store-credit"),
    path("customers/<int:customer_id>/addresses/", views.CustomerAddressesView.as_view(), name="api-customer-addresses"),
]
