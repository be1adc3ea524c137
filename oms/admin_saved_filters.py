"""Saved views on console lists: a ModelAdmin mixin that shows the list's saved views as links
above the results, with a small "Save this view" form; saving and deleting call
``oms.saved_filters``. Whoever may open the list may save views of it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse

from .errors import DomainError
from .saved_filters import saved_filter_delete, saved_filter_query, saved_filter_save, saved_filters_for


class SavedFiltersMixin:
    """Add to a ModelAdmin whose changelist template includes ``admin/oms/saved_filters.html``."""

    def saved_filters_list(self) -> str:
        return f"{self.opts.app_label}.{self.opts.model_name}"

    def _saved_filters_url(self, name: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_savedfilter_{name}"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("saved-views/save/", wrap(self.saved_filter_save_view), name=self._saved_filters_url("save")),
            path("saved-views/<int:saved_filter_id>/delete/", wrap(self.saved_filter_delete_view), name=self._saved_filters_url("delete")),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if self.has_view_permission(request):
            current = saved_filter_query(request.GET.urlencode())
            views = list(saved_filters_for(user=request.user, model=self.saved_filters_list()))
            extra_context.update(
                saved_filters=[
                    {
                        "name": view.name, "url": f"?{view.query_string}", "current": view.query_string == current, "shared": view.shared,
                        "owner": view.user if view.user_id != request.user.pk else None,
                        "delete_url": reverse(f"admin:{self._saved_filters_url('delete')}", args=[view.pk])
                        if view.user_id == request.user.pk or request.user.is_superuser else None,
                    }
                    for view in views
                ],
                saved_filter_save_url=reverse(f"admin:{self._saved_filters_url('save')}"),
                saved_filter_query=current,
            )
        return super().changelist_view(request, extra_context)

    def _back_to_list(self, query: str) -> HttpResponseRedirect:
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        return HttpResponseRedirect(f"{url}?{query}" if query else url)

    def _may_change_views(self, request: HttpRequest) -> None:
        if not self.has_view_permission(request):
            raise PermissionDenied

    def saved_filter_save_view(self, request: HttpRequest):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._may_change_views(request)
        query = request.POST.get("query_string", "")
        try:
            saved = saved_filter_save(
                user=request.user, model=self.saved_filters_list(), name=request.POST.get("name", ""), query_string=query,
                shared=request.POST.get("shared") == "on",
            )
        except DomainError as error:
            problems = " ".join(problem for found in error.fields.values() for problem in found)
            messages.error(request, f"{error.message} {problems}".strip())
        else:
            messages.success(request, f"View {saved.name!r} saved{' and shared with every staff user of this list' if saved.shared else ''}.")
        return self._back_to_list(saved_filter_query(query))

    def saved_filter_delete_view(self, request: HttpRequest, saved_filter_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._may_change_views(request)
        try:
            saved_filter_delete(saved_filter_id=saved_filter_id, user=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Saved view deleted.")
        return self._back_to_list(saved_filter_query(request.POST.get("query_string", "")))
