"""The reports app's own tables (it reads every other app's and writes only these)."""

from .models_exports import ExportChunk, ExportFormat, ExportJob

__all__ = ["ExportChunk", "ExportFormat", "ExportJob"]
