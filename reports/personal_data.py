"""The reports app's part of a customer's data. Reports keep figures per day, SKU and channel,
never per customer, so nothing here is keyed by a customer; what may quote one is an import's
row errors (a customer import that refused a row names its e-mail) and an export's selection."""

from oms.personal_data import ErasureContext, PersonalDataPart, rows_mentioning, rows_scrub

from .imports.models import ImportRecord
from .models_exports import ExportJob


def reports_export(customer_id: int) -> dict:
    return {}


def reports_erase(context: ErasureContext) -> dict[str, int]:
    return {
        "import_records": rows_scrub(rows_mentioning(ImportRecord, context.identifiers, ["errors"]), context.values),
        "export_jobs": rows_scrub(rows_mentioning(ExportJob, context.identifiers, ["title", "selection", "error"]), context.values),
    }


PART = PersonalDataPart(name="reports", models=("reports.ImportRecord", "reports.ExportJob"), export=reports_export, erase=reports_erase)
