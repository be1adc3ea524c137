"""Staff roles as groups with permissions. What a role may not do, it does not see in the admin."""

from django.contrib.auth.models import Group, Permission

# codename lists per app label; "view_*" etc. are Django's model permissions.
ROLES: dict[str, dict[str, list[str]]] = {
    "Warehouse": {
        "inventory": ["view_product", "view_location", "view_bin", "change_bin", "add_bin", "view_stocklevel", "view_stockmovement",
                      "receive_stock", "view_transfer", "add_transfer", "change_transfer", "view_transferline",
                      # Cycle counts: counting blind on the floor (approving variances is the manager's).
                      "view_cyclecount", "view_cyclecountline", "count_cyclecount",
                      # The dock receives deliveries against purchase orders (buying is the manager's).
                      "view_supplier", "view_purchaseorder", "view_purchaseorderline", "view_purchaseorderevent", "receive_purchaseorder"],
        "orders": ["view_order", "view_orderline", "view_allocation", "view_orderevent", "view_orderhold", "view_channel", "transition_order"],
        # No customers: the warehouse sees a customer's name and address only on what it ships
        # (oms.masking), never the customer records themselves.
        # The floor work: fulfillment orders through their lifecycle, moves between locations, pick lists, packing.
        "fulfillment": ["view_fulfillmentorder", "view_fulfillmentline", "view_fulfillmenthold", "transition_fulfillmentorder",
                        "route_fulfillmentorder", "view_picklist", "view_picklistline", "confirm_picklist", "view_packagetype",
                        "view_package", "view_packeditem"],
        "oms": ["view_documentjob", "download_documentjob"],
        # Which carriers and services there are, and what they cost (changing them is the manager's);
        # shipments with their tracking, and voiding a label the carrier has not scanned yet.
        "shipping": ["view_carrier", "view_servicelevel", "view_zone", "view_zonerule", "view_ratetable", "view_rateband", "view_surcharge",
                     "view_shipment", "view_shipmentparcel", "view_trackingevent", "view_shipmentexceptionqueue", "void_shipment",
                     "view_manifest", "close_manifest"],
        # The dock: returned parcels received by scan, their units inspected and put where they belong.
        "returns": ["view_returnrequest", "view_returnline", "view_returnevent", "view_returnreason", "receive_return", "inspect_return"],
    },
    "Customer service": {
        "orders": ["view_order", "view_orderline", "view_allocation", "view_orderevent", "view_orderhold", "view_channel",
                   "change_order", "cancel_order", "release_hold", "create_phone_order",
                   # What the shop was told, sending a refused one again, and platform cancellations after shipping.
                   "view_channelfulfillmentsync", "retry_channelfulfillmentsync", "view_platformcancellation", "handle_platformcancellation",
                   # A business buyer's invoices (what they owe, for which shipment): reading only.
                   "view_invoice", "view_invoiceline", "view_invoicepayment", "view_creditnote", "view_creditnoteline"],
        "customers": ["view_customer", "add_customer", "change_customer", "view_customeraddress", "add_customeraddress",
                      "change_customeraddress", "view_customergroup", "view_storecreditaccount", "view_storecreditentry",
                      # A customer's data rights (GDPR / CCPA): export and erasure on request, the requests and their files.
                      "view_datarequest", "request_export_customer", "request_erasure_customer", "download_datarequest"],
        "inventory": ["view_product", "view_stocklevel", "view_location"],
        # To answer "did the shop hear about this order?"; changing anything is the manager's.
        # Personal data (names, e-mails, phones, addresses) unmasked in the console: customers are their work.
        "oms": ["view_integration", "view_webhookdelivery", "view_webhookattempt", "view_personal_data"],
        # Holds (address checks, payment) and moving a fulfillment order to where the stock is.
        "fulfillment": ["view_fulfillmentorder", "view_fulfillmentline", "view_fulfillmenthold", "transition_fulfillmentorder",
                        "route_fulfillmentorder", "view_picklist", "view_package"],
        # Rates, and where a customer's parcel is (its tracking timeline, exceptions and late ones);
        # a return label for a customer who sends a parcel back.
        "shipping": ["view_carrier", "view_servicelevel", "view_zone", "view_ratetable", "view_rateband", "view_surcharge",
                     "view_shipment", "view_shipmentparcel", "view_trackingevent", "view_shipmentexceptionqueue", "create_return_label"],
        # Returns: taking a request for a customer, deciding those outside the policy, cancelling.
        "returns": ["view_returnrequest", "add_returnrequest", "view_returnline", "view_returnevent", "view_returnreason",
                    "view_returnpolicy", "approve_return", "cancel_return",
                    # Money back: refunds (an amount set by hand needs a reason) and retrying a refused one.
                    "view_refund", "refund_return"],
        # What customers were told and whether it arrived; sending a failed message again; previews.
        "portal": ["view_notification", "resend_notification", "view_channelbranding", "view_notificationtemplateoverride"],
        # Customer imports (each kind of import also needs the permission of the same job by hand: change_customer here).
        "reports": ["view_importrecord", "run_import"],
    },
    "Accounting": {
        # Credit-limit holds are accounting's to release (every other hold is customer service's).
        "orders": ["view_order", "view_orderline", "view_orderevent", "view_orderhold", "view_channel", "view_channelfulfillmentsync",
                   "view_platformcancellation", "release_credit_hold",
                   # The invoices of orders on payment terms and the payments recorded against them
                   # (recording them too: by hand through the API, or by importing the bank's file).
                   "view_invoice", "view_invoiceline", "view_invoicepayment", "add_invoicepayment",
                   "view_creditnote", "view_creditnoteline"],
        "fulfillment": ["view_fulfillmentorder", "view_fulfillmentline"],
        # Contract terms are finance's: price lists and the groups' catalogue rules and credit.
        "customers": ["view_customer", "view_customergroup", "change_customergroup", "view_cataloguerule", "add_cataloguerule",
                      "change_cataloguerule", "delete_cataloguerule", "view_pricelist", "add_pricelist", "change_pricelist",
                      "view_pricelistitem", "add_pricelistitem", "change_pricelistitem", "delete_pricelistitem",
                      "view_storecreditaccount", "view_storecreditentry"],
        # Prices and costs are finance's: changing products, by hand or by an import of products and prices.
        "inventory": ["view_product", "change_product", "view_stocklevel", "view_stockmovement", "view_location",
                      # The count corrections behind the finance dashboard's figure (read only; never the counting).
                      "view_cyclecount", "view_cyclecountline",
                      # What is bought at what cost (reading only; buying is the Operations manager's).
                      "view_supplier", "view_supplierproduct", "view_purchaseorder", "view_purchaseorderline", "view_purchaseorderevent"],
        "returns": ["view_returnrequest", "view_returnline", "view_returnevent", "view_returnpolicy", "view_returnreason", "view_refund"],
        # What the carriers were paid: the shipments with their quotes (and the rates behind them), and the
        # carriers' invoices (importing them).
        "shipping": ["view_carrier", "view_servicelevel", "view_zone", "view_ratetable", "view_rateband", "view_surcharge",
                     "view_shipment", "view_shipmentparcel", "view_trackingevent", "view_carriercharge", "add_carriercharge"],
        # The KPIs (the finance dashboard's figures: revenue, refunds, stock value), the imports, and the
        # exports (CSV, Excel: every kind through the export API and from the console lists above).
        "reports": ["view_reports", "view_importrecord", "run_import", "export_data", "view_exportjob",
                    "view_reportsubscription", "add_reportsubscription", "change_reportsubscription", "delete_reportsubscription"],
        # Billing names and addresses on invoices and in their exports are the books' (unmasked).
        "oms": ["view_personal_data"],
    },
    "Operations manager": {
        # Unlocking sign-ins (django-axes' attempts and logs) and resetting a colleague's second
        # factor (deleting their authenticator or backup codes); never reading a device's secret.
        "axes": ["view_accessattempt", "delete_accessattempt", "view_accesslog", "view_accessfailurelog"],
        "otp_totp": ["view_totpdevice", "delete_totpdevice"],
        "otp_static": ["view_staticdevice", "delete_staticdevice"],
        "orders": ["*"],
        "inventory": ["*"],
        "customers": ["*"],
        "fulfillment": ["*"],
        "shipping": ["*"],
        "returns": ["*"],
        "portal": ["*"],
        "reports": ["view_reports", "view_importrecord", "run_import", "export_data", "view_exportjob",
                    "view_reportsubscription", "add_reportsubscription", "change_reportsubscription", "delete_reportsubscription",
                    # The replenishment suggestions: running them, accepting into POs and transfers, dismissing.
                    "view_replenishmentrun", "add_replenishmentrun", "view_suggestionline", "change_suggestionline"],
        "oms": ["view_documentjob", "download_documentjob", "view_personal_data",
                "view_apikey", "add_apikey", "change_apikey", "view_domainevent", "view_integration", "add_integration",
                "change_integration", "view_webhooksubscription", "add_webhooksubscription", "change_webhooksubscription",
                "delete_webhooksubscription", "view_webhookdelivery", "redeliver_webhookdelivery", "view_webhookattempt"],
    },
}

# Roles that must sign in with a second factor when OMS_STAFF_2FA_REQUIRED is on (superusers too).
TWO_FACTOR_ROLES = ("Operations manager",)


def roles_sync() -> None:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = []
        for app_label, codenames in grants.items():
            scope = Permission.objects.filter(content_type__app_label=app_label)
            permissions += list(scope if codenames == ["*"] else scope.filter(codename__in=codenames))
        group.permissions.set(permissions)


def roles_sync_after_migrate(sender, **kwargs) -> None:
    roles_sync()
