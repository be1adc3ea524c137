from .imports import admin as imports_admin  # noqa: F401  (registers the imports' console pages)
