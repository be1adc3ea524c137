from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """KPIs, dashboards and the accountants' exports; reads every app, writes only its own tables."""

    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        from oms.personal_data import personal_data_register

        from .personal_data import PART

        # This app's share of a customer's data export and erasure (oms.personal_data).
        personal_data_register(PART)
        from oms.admin_list_tools import ListTool, list_tool_register

        from .admin_dashboards import dashboards_register
        from .admin_forecasts import forecasts_register
        from .export_resources import RESOURCES

        # The operations and finance dashboards, in the console's "Reports & exports" section.
        dashboards_register()
        # The demand forecasts' pages, and a link to them on each product's page.
        forecasts_register()

        # The "Export" button on every console list an export can start from (its filters go along).
        for resource in RESOURCES.values():
            for list_label in resource.lists:
                list_tool_register(list_label, ListTool("Export…", "admin:reports_exportjob_from_list", "reports.export_data"))
