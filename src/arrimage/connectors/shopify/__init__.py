"""Shopify: start an automation when a shop gets a new customer or a new order.

Shopify posts each event to the automation's webhook URL. :mod:`.triggers` checks the
signature and the topic, and :mod:`.output` adds the ``contact`` and ``webhook`` keys to the
resource Shopify sent.
"""

from __future__ import annotations

from arrimage.connectors.declaration import (
    App,
    Field,
    FieldType,
    Operation,
    OperationKind,
    TriggerMode,
)
from arrimage.connectors.samples import load_sample
from arrimage.connectors.shopify.triggers import (
    EVENT_ID_HEADERS,
    parse_new_customer,
    parse_new_order,
)
from arrimage.i18n import _l

NEW_CUSTOMER = Operation(
    key="new_customer",
    kind=OperationKind.TRIGGER,
    mode=TriggerMode.INSTANT,
    noun=_l("customer"),
    label=_l("New customer"),
    description=_l(
        "Starts when a customer is created in the shop (Shopify webhook customers/create), "
        "at checkout, by account sign-up or by hand. Gives the customer with a contact "
        "summary: email address, names, default address, locale and marketing consent."),
    sample=load_sample(__file__, "new_customer"),
    parse=parse_new_customer,
    event_id_headers=EVENT_ID_HEADERS,
    needs_connection=True,
)

NEW_ORDER = Operation(
    key="new_order",
    kind=OperationKind.TRIGGER,
    mode=TriggerMode.INSTANT,
    noun=_l("order"),
    label=_l("New order"),
    description=_l(
        "Starts when an order is placed (Shopify webhook orders/create), guest orders "
        "included. Gives the order with a contact summary: email address, names, billing "
        "address, locale and marketing consent."),
    sample=load_sample(__file__, "new_order"),
    parse=parse_new_order,
    event_id_headers=EVENT_ID_HEADERS,
    needs_connection=True,
)

APP = App(
    key="shopify",
    name=_l("Shopify"),
    description=_l("Receive new customers and new orders from a Shopify shop."),
    triggers=(NEW_CUSTOMER, NEW_ORDER),
    connection_fields=(
        Field(
            key="signing_secret",
            label=_l("Webhook signing secret"),
            type=FieldType.PASSWORD,
            required=True,
            help=_l(
                "The key that signs the shop's webhooks: the one shown under Settings > "
                "Notifications > Webhooks in the Shopify admin, or the app's client secret "
                "for webhooks of an app. Stored encrypted."),
        ),
    ),
)
