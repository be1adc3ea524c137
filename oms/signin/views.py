"""The second step of the console's sign-in: a code from the authenticator app (or a backup
code), and enrolling an authenticator. Rendered in the console's own look."""

import django_otp
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache

from .forms import TokenForm
from .two_factor import (
    BACKUP_CODE_COUNT,
    authenticator_confirm,
    authenticator_confirmed,
    authenticator_pending,
    authenticator_secret,
    two_factor_check,
    two_factor_required,
)


@never_cache
@staff_member_required
def two_factor_verify(request):
    user, next_url = request.user, _next_url(request)
    if user.is_verified():
        return redirect(next_url)
    if authenticator_confirmed(user) is None:
        return redirect(f"{reverse('two_factor:setup')}?{urlencode({'next': next_url})}")
    form = TokenForm(request.POST or None)
    if form.is_valid():
        device, refusal = two_factor_check(user=user, token=form.cleaned_data["token"])
        if device is not None:
            _session_verified(request, device)
            return redirect(next_url)
        form.add_error("token", refusal)
    return _page(request, "oms/signin/verify.html", "Two-factor sign-in", form=form, next=next_url)


@never_cache
@staff_member_required
def two_factor_setup(request):
    """Enrol an authenticator (or replace one, once this session has given its current code)."""
    user, next_url = request.user, _next_url(request)
    if authenticator_confirmed(user) is not None and not user.is_verified():
        return redirect(f"{reverse('two_factor:verify')}?{urlencode({'next': request.get_full_path()})}")
    device = authenticator_pending(user=user)
    form = TokenForm(request.POST or None)
    if form.is_valid():
        codes = authenticator_confirm(user=user, device_id=device.pk, token=form.cleaned_data["token"])
        if codes is not None:
            device.refresh_from_db()
            _session_verified(request, device)
            return _page(request, "oms/signin/backup_codes.html", "Save your backup codes", codes=codes, next=next_url)
        form.add_error("token", "That code is not right. Check that the app shows the account you just added, and use its current code.")
    from oms.pdf.barcodes import qr_svg  # the PDF toolkit (WeasyPrint) only when this page is opened

    return _page(
        request, "oms/signin/setup.html", "Set up two-factor sign-in", form=form, next=next_url,
        # Not through qr_svg's cache: the URL carries the secret.
        qr_code=mark_safe(qr_svg.__wrapped__(device.config_url)),
        secret=authenticator_secret(device),
        required=two_factor_required(user), replacing=user.is_verified(), backup_code_count=BACKUP_CODE_COUNT,
    )


def _session_verified(request, device) -> None:
    request.session.cycle_key()  # a new session id for the session that now has both factors
    django_otp.login(request, device)


def _next_url(request) -> str:
    """Where to go once the second step is done: a page of this site, never these pages again."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    if safe and not target.startswith(reverse("two_factor:verify")):
        return target
    return reverse("admin:index")


def _page(request, template: str, title: str, **context) -> TemplateResponse:
    return TemplateResponse(request, template, {**admin.site.each_context(request), "title": title, **context})
