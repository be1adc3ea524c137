"""Who may call an API operation: API keys by scope, signed-in staff by role.

Every API view declares, per HTTP method, the scope a key needs (``required_scopes``) and the model
permission a signed-in person needs (``required_permissions``): the same permission the console
asks of that person's role for the same job, so a role that may not cancel orders in the console
may not cancel them through its browser session on the API either. An operation that names no
permission for a method is refused to every session (a new endpoint is closed until it says who
may use it); ``tests/api/test_role_matrix.py`` walks the schema and checks every declaration.
"""

from rest_framework import permissions
from rest_framework.exceptions import PermissionDenied

from .authentication import ApiClient

# For ``required_permissions``: any signed-in staff member, because the view itself narrows what
# each person sees (document jobs: a person's own, and everyone's with ``oms.view_documentjob``).
SIGNED_IN_STAFF = "signed-in staff"


def _for_method(declared: dict, method: str):
    return declared.get(method) or declared.get("*")


class ScopeOrRolePermission(permissions.BasePermission):
    """API keys need the view's scope for the method; staff sessions need the view's permission for
    the method. Anyone else is refused."""

    message = "Sign in or send an API key."

    def has_permission(self, request, view):
        user = request.user
        if isinstance(user, ApiClient):
            needed = _for_method(getattr(view, "required_scopes", {}), request.method)
            if needed is None:
                self.message = f"No API key may use {request.method} here."
                return False
            self.message = f"This API key lacks the {needed!r} scope."
            return user.key.has_scope(needed)
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        if not user.is_staff:
            self.message = "Only staff may use the API with a console session; integrations use an API key."
            return False
        needed = _for_method(getattr(view, "required_permissions", {}), request.method)
        if needed is None:
            self.message = f"{request.method} here is open to API keys only, not to console sessions."
            return False
        if needed == SIGNED_IN_STAFF or user.has_perm(needed):
            return True
        self.message = f"Your role lacks the {needed!r} permission; ask an operations manager for a role that has it."
        return False


def staff_permission_require(request, permission: str) -> None:
    """For an operation whose permission depends on the body (a receipt or an adjustment): refuse a
    staff session whose role lacks ``permission``. API keys are decided by their scope alone."""
    user = request.user
    if not isinstance(user, ApiClient) and not user.has_perm(permission):
        raise PermissionDenied(f"Your role lacks the {permission!r} permission; ask an operations manager for a role that has it.")
