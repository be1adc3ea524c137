"""The console's side of a customer's data rights: "Export data" and "Erase personal data" on
the customer's page (each confirmed on a page of its own, each needing its permission), the list
of every request, and the export's download for staff allowed to have it."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from oms.admin import ReadOnlyAdmin
from oms.errors import DomainError
from oms.personal_data import personal_data_erasure_blockers

from .data_requests import customer_data_erasure_request, customer_data_export_request, personal_data_file_response
from .models import Customer, DataRequest

EXPORT_PERMISSION = "customers.request_export_customer"
ERASE_PERMISSION = "customers.request_erasure_customer"
DOWNLOAD_PERMISSION = "customers.download_datarequest"


def personal_data_urls(customer_id: int, user) -> dict:
    """The change page's links, for the actions this user may take."""
    urls = {}
    if user.has_perm(EXPORT_PERMISSION):
        urls["personal_data_export_url"] = reverse("admin:customers_customer_personal_data_export", args=[customer_id])
    if user.has_perm(ERASE_PERMISSION):
        urls["personal_data_erase_url"] = reverse("admin:customers_customer_personal_data_erase", args=[customer_id])
    return urls


def _confirm_page(request, model_admin, customer: Customer, *, title: str, submit_label: str, explanation: list[str], blockers=()):
    context = {
        **model_admin.admin_site.each_context(request), "opts": model_admin.opts, "title": title, "submit_label": submit_label,
        "explanation": explanation, "blockers": list(blockers), "form": None,
        "earlier": DataRequest.objects.filter(customer=customer).order_by("-id")[:10],
    }
    return TemplateResponse(request, "admin/customers/customer/personal_data_confirm.html", context)


def _customer_page(customer: Customer) -> str:
    return reverse("admin:customers_customer_change", args=[customer.pk])


def personal_data_export_view(request, object_id: str, *, model_admin):
    if not request.user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    customer = get_object_or_404(Customer, pk=object_id)
    if request.method == "POST":
        data_request = customer_data_export_request(customer_id=customer.pk, source=DataRequest.Source.ADMIN, actor=request.user)
        messages.success(request, f"Export #{data_request.pk} requested: the ZIP is built in the background and listed under Data requests.")
        return HttpResponseRedirect(_customer_page(customer))
    return _confirm_page(
        request, model_admin, customer, title=f"Export the personal data of {customer}", submit_label="Request the export",
        explanation=[
            "Everything the OMS holds about this customer (profile, addresses, orders, returns, refunds, shipments, "
            "notifications sent, preferences, store credit) is collected into a ZIP of JSON and CSV files.",
            "The file is built in the background; staff with the download permission fetch it from Data requests, "
            "and the customer can fetch it from the portal.",
        ],
    )


def personal_data_erase_view(request, object_id: str, *, model_admin):
    if not request.user.has_perm(ERASE_PERMISSION):
        raise PermissionDenied
    customer = get_object_or_404(Customer, pk=object_id)
    if request.method == "POST":
        try:
            data_request = customer_data_erasure_request(customer_id=customer.pk, source=DataRequest.Source.ADMIN, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(_customer_page(customer))
        if data_request.status == DataRequest.Status.DONE:
            messages.success(request, f"Personal data erased (request #{data_request.pk}); orders, refunds and amounts are kept.")
        else:
            messages.error(request, f"Erasure refused (request #{data_request.pk}, recorded): {data_request.refusal_reason}")
        return HttpResponseRedirect(_customer_page(customer))
    return _confirm_page(
        request, model_admin, customer, title=f"Erase the personal data of {customer}", submit_label="Erase personal data",
        explanation=[
            "Names, e-mail addresses, phone numbers, addresses and free text about this customer are anonymised in place, "
            "everywhere in the OMS. This cannot be undone.",
            "Orders, invoices, refunds, store credit and stock keep their amounts, quantities, SKUs and dates.",
        ],
        blockers=personal_data_erasure_blockers(customer.pk),
    )


@admin.register(DataRequest)
class DataRequestAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "customer_link", "source", "requested_by_label", "status", "refusal_reason", "created_at", "finished_at")
    list_filter = ("kind", "status", "source", "created_at")
    search_fields = ("=customer__id", "reference")
    list_select_related = ("customer",)
    list_per_page = 100
    show_full_result_count = False
    fields = ("kind", "customer_link", "source", "requested_by_label", "reference", "status", "refusal_reason", "outcome",
              "download", "created_at", "started_at", "finished_at")
    readonly_fields = fields

    @admin.display(description="Customer")
    def customer_link(self, obj):
        if obj.customer_id is None:
            return "— (not known to the OMS)"
        return format_html('<a href="{}">Customer {}</a>', reverse("admin:customers_customer_change", args=[obj.customer_id]), obj.customer_id)

    @admin.display(description="File")
    def download(self, obj):
        if not obj.file:
            return "—"
        return format_html('<a href="{}">Download the ZIP</a>', reverse("admin:customers_datarequest_download", args=[obj.pk]))

    def get_urls(self):
        from django.urls import path

        return [path("<int:request_id>/download/", self.admin_site.admin_view(self.download_view), name="customers_datarequest_download"),
                *super().get_urls()]

    def download_view(self, request, request_id: int):
        if not request.user.has_perm(DOWNLOAD_PERMISSION):
            raise PermissionDenied
        data_request = DataRequest.objects.filter(pk=request_id, kind=DataRequest.Kind.EXPORT).exclude(file="").first()
        if data_request is None:
            raise Http404("No export file for this request (not built yet, or deleted by an erasure).")
        return personal_data_file_response(data_request)
