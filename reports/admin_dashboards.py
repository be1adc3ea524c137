"""The dashboards in the console: ``/admin/reports/dashboards/<name>/`` and its PDF.

Registered with the console site (``oms.admin_pages``) in ``ReportsConfig.ready()``, listed first
under "Reports & exports" for whoever holds ``reports.view_reports`` (Operations manager and
Accounting). The range and filters are GET parameters, so an address can be shared; a bad one
is a form error on the page, never a 500.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from oms.admin_pages import ConsolePage, console_page_register

from .dashboards import DASHBOARDS, dashboard_form, dashboard_pdf, dashboard_query, dashboard_tiles, filters_text
from .models import OrderDay

PERMISSION = "reports.view_reports"


def _dashboard_page(request, name: str):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    dashboard = DASHBOARDS[name]
    form = dashboard_form(name, request.GET)
    context = {
        **admin.site.each_context(request),
        "title": dashboard.title,
        "dashboard": dashboard,
        "form": form,
        "opts": OrderDay._meta,
        "others": [{"title": other.title, "url": reverse(f"admin:reports_dashboard_{other.name}")}
                   for other in DASHBOARDS.values() if other.name != name],
    }
    if form.is_valid():
        filters = form.filters()
        query = form.query()
        for other in context["others"]:  # the same range and filters on the other dashboard
            other["url"] += f"?{dashboard_query(query)}"
        context.update({
            # The charts' <style> elements carry the nonce the page's Content-Security-Policy names.
            "tiles": dashboard_tiles(name, filters, nonce=str(request.csp_nonce) if hasattr(request, "csp_nonce") else None),
            "range_text": filters_text(filters),
            "pdf_url": f"{reverse(f'admin:reports_dashboard_{name}_pdf')}?{dashboard_query(query)}",
            "subscribe_url": (f"{reverse('admin:reports_reportsubscription_add')}?dashboard={name}"
                              if request.user.has_perm("reports.add_reportsubscription") else ""),
            "presets": [{"label": label, "url": f"?{dashboard_query({k: v for k, v in query.items() if k not in ('from', 'to')}, preset=value)}"}
                        for value, label in form.fields["preset"].choices if value],
        })
    return TemplateResponse(request, "admin/reports/dashboards/dashboard.html", context, status=200 if form.is_valid() else 400)


def _dashboard_pdf(request, name: str):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = dashboard_form(name, request.GET)
    if not form.is_valid():
        return _dashboard_page(request, name)
    content = dashboard_pdf(name, form.filters())
    response = HttpResponse(content, content_type="application/pdf")
    query = form.query()
    response["Content-Disposition"] = f'attachment; filename="{name}-dashboard-{query["from"]}-{query["to"]}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def _views(name: str):
    def page(request):
        return _dashboard_page(request, name)

    def pdf(request):
        return _dashboard_pdf(request, name)

    page.__name__, pdf.__name__ = f"{name}_dashboard", f"{name}_dashboard_pdf"
    return page, pdf


def dashboards_register() -> None:
    for name, dashboard in DASHBOARDS.items():
        page, pdf = _views(name)
        console_page_register(ConsolePage(f"reports_dashboard_{name}", f"reports/dashboards/{name}/", dashboard.title, "reports",
                                          PERMISSION, page))
        console_page_register(ConsolePage(f"reports_dashboard_{name}_pdf", f"reports/dashboards/{name}/pdf/", f"{dashboard.title} (PDF)",
                                          "reports", PERMISSION, pdf, listed=False))

