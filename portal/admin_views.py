"""The console's preview of customer messages: every kind in every language, as a channel
would send it, rendered with demo data (nothing is read from or written to orders)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from csp.decorators import csp_exempt

from orders.models import Channel

from .models import NotificationKind
from .notifications.render import Rendered, demo_frame, message_render, override_for, sms_render

PREVIEW_PERMISSION = "portal.view_notificationtemplateoverride"
# The rendered e-mail runs nothing and loads nothing but the pictures of the message (its logo).
PREVIEW_CSP = "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"


class PreviewForm(forms.Form):
    kind = forms.ChoiceField(choices=NotificationKind.choices, label="Kind of message")
    language = forms.ChoiceField(label="Language")
    channel = forms.ModelChoiceField(queryset=Channel.objects.order_by("name"), required=False, empty_label="No channel (defaults)")

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES


def _preview(request) -> tuple[PreviewForm, Rendered | None, str]:
    if not request.user.has_perm(PREVIEW_PERMISSION):
        raise PermissionDenied
    form = PreviewForm(request.GET or {"kind": NotificationKind.SHIPPED, "language": "en"})
    if not form.is_valid():
        return form, None, ""
    kind, language, channel = form.cleaned_data["kind"], form.cleaned_data["language"], form.cleaned_data["channel"]
    channel_id = channel.pk if channel else None
    context = demo_frame(kind, channel_id=channel_id)
    override = override_for(channel_id=channel_id, kind=kind, language=language)
    try:
        rendered = message_render(kind=kind, context=context, language=language, override=override)
    except Exception as error:  # an override that cannot render with these data: say so, never a 500
        form.add_error(None, f"The template does not render: {error}")
        return form, None, ""
    return form, rendered, sms_render(kind=kind, context=context, language=language)


def notification_preview_view(request):
    form, rendered, sms = _preview(request)
    context = {
        **admin.site.each_context(request), "title": "Preview customer messages", "form": form, "rendered": rendered, "sms": sms,
        "html_url": f"{reverse('admin:portal_notification_preview_html')}?{request.GET.urlencode()}" if rendered else "",
    }
    return TemplateResponse(request, "admin/portal/notification_preview.html", context)


@csp_exempt()
@xframe_options_sameorigin
def notification_preview_html_view(request):
    """The rendered HTML part alone, for the preview's frame, under its own strict policy."""
    _, rendered, _ = _preview(request)
    response = HttpResponse(rendered.html if rendered else "", content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = PREVIEW_CSP
    return response
