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
