from rest_framework import permissions

from .authentication import ApiClient


class HasScope(permissions.BasePermission):
    """API keys need the view's scope for the method (``required_scopes = {"GET": ..., "POST": ...}``);
    signed-in staff (the browsable API) may read and write everything."""

    message = "This API key lacks the scope this request needs."

    def has_permission(self, request, view):
        user = request.user
        if isinstance(user, ApiClient):
            scopes = getattr(view, "required_scopes", {})
            needed = scopes.get(request.method) or scopes.get("*")
            if needed is None:
                return False
            self.message = f"This API key lacks the {needed!r} scope."
            return user.key.has_scope(needed)
        return bool(user and user.is_authenticated and user.is_staff)


class HasScopeAndPermission(HasScope):
    """:class:`HasScope`, and signed-in staff also need the view's model permission for the method
    (``required_permissions = {"GET": "shipping.view_shipment", ...}``), the one the admin asks for:
    a role that may not void shipments in the console may not void them through the API either."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        user = request.user
        if isinstance(user, ApiClient):
            return True
        permissions = getattr(view, "required_permissions", {})
        needed = permissions.get(request.method) or permissions.get("*")
        if needed and not user.has_perm(needed):
            self.message = f"You lack the {needed!r} permission; ask an operations manager for a role that has it."
            return False
        return True
