"""The signed-in customer's own data: "Download my data" asks for an export (built in the
background), and the finished exports are downloaded here, by the customer who asked only."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from customers.data_requests import customer_data_export_request, personal_data_file_response
from customers.models import DataRequest

from ..auth import customer_required
from .common import portal_render


def _exports(customer_id: int):
    return DataRequest.objects.filter(customer_id=customer_id, kind=DataRequest.Kind.EXPORT).order_by("-id")[:10]


@require_http_methods(["GET", "HEAD", "POST"])
@customer_required
def my_data(request):
    customer = request.customer
    if request.method == "POST":
        waiting = DataRequest.objects.filter(
            customer_id=customer.pk, kind=DataRequest.Kind.EXPORT, status__in=[DataRequest.Status.REQUESTED, DataRequest.Status.RUNNING]
        ).exists()
        if waiting:
            messages.info(request, _("Your earlier request is still being prepared; it will be listed here when it is ready."))
        else:
            customer_data_export_request(customer_id=customer.pk, source=DataRequest.Source.PORTAL, actor=f"portal:{customer.pk}")
            messages.success(request, _("We are preparing your data; it will be listed here to download when it is ready."))
        return redirect("portal:my-data")
    return portal_render(request, "portal/my_data.html", {"exports": _exports(customer.pk)})


@require_GET
@customer_required
def my_data_download(request, request_id: int):
    data_request = DataRequest.objects.filter(
        pk=request_id, customer_id=request.customer.pk, kind=DataRequest.Kind.EXPORT, status=DataRequest.Status.DONE
    ).exclude(file="").first()
    if data_request is None:
        raise Http404
    return personal_data_file_response(data_request)
