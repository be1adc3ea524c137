"""Domain errors: a code a program can branch on and a message a person can act on."""


class DomainError(Exception):
    """A business rule refused the operation. Nothing was changed."""

    code = "domain_error"
    status_code = 409

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}

    def __str__(self):
        return self.message


class NotFound(DomainError):
    code = "not_found"
    status_code = 404


class Forbidden(DomainError):
    """The actor may not do this (a role's decision, e.g. a credit-limit hold is accounting's)."""

    code = "forbidden"
    status_code = 403


class InvalidInput(DomainError):
    """The input is malformed; ``fields`` maps field paths to what to fix."""

    code = "invalid"
    status_code = 400


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status_code = 409


class InsufficientStock(DomainError):
    code = "insufficient_stock"
    status_code = 409


class PreconditionRequired(DomainError):
    """A change was sent without ``If-Match``: the API refuses blind overwrites."""

    code = "precondition_required"
    status_code = 428


class PreconditionFailed(DomainError):
    """``If-Match`` names a version that is no longer current: someone changed it meanwhile."""

    code = "precondition_failed"
    status_code = 412
