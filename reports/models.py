from .imports.models import ImportRecord  # noqa: F401  (the accountant imports' record)
