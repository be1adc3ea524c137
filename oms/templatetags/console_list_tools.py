from django import template

from oms.admin_list_tools import list_tools_for, object_tools_for

register = template.Library()


@register.simple_tag(takes_context=True)
def list_tools(context) -> list[dict]:
    """The tools other apps registered for this changelist (``oms.admin_list_tools``)."""
    changelist, request = context.get("cl"), context.get("request")
    if changelist is None or request is None:
        return []
    query = {key: values for key, values in request.GET.lists() if key != "p"}
    return list_tools_for(list_label=changelist.opts.label_lower, user=request.user, query=query)


@register.simple_tag(takes_context=True)
def object_tools(context) -> list[dict]:
    """The tools other apps registered for this record's page (``oms.admin_list_tools``)."""
    opts, original, request = context.get("opts"), context.get("original"), context.get("request")
    if opts is None or original is None or request is None or original.pk is None:
        return []
    return object_tools_for(model_label=opts.label_lower, user=request.user, pk=original.pk)
