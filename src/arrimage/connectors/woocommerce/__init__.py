"""WooCommerce: start an automation when a store gets a new customer or a new order.

WooCommerce posts each event to the automation's webhook URL. :mod:`.triggers` accepts the
ping WooCommerce sends when a webhook is saved, checks the signature and the topic, and
:mod:`.output` adds the ``meta``, ``contact`` and ``webhook`` keys to the object WooCommerce
sent.
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
from arrimage.connectors.woocommerce.triggers import parse_new_customer, parse_new_order
from arrimage.i18n import _l

META_FIELDS = (
    Field(
        key="consent_meta_key",
        label=_l("Consent meta key"),
        placeholder="_newsletter_optin",
        help=_l(
            "The order or customer meta key where your newsletter plugin stores the "
            "subscription box, such as _newsletter_optin. Values such as yes, 1 or true give "
            "marketing_consent yes. Leave empty when the store has no such box: the consent "
            "is then unknown."),
    ),
    Field(
        key="language_meta_key",
        label=_l("Language meta key"),
        placeholder="wpml_language",
        help=_l(
            "The meta key that holds the buyer's language, such as wpml_language with WPML. "
            "Its value becomes contact.locale. Leave empty if the store has one language."),
    ),
)

NEW_CUSTOMER = Operation(
    key="new_customer",
    kind=OperationKind.TRIGGER,
    mode=TriggerMode.INSTANT,
    noun=_l("customer"),
    label=_l("New customer"),
    description=_l(
        "Starts when a customer account is created in the store (WooCommerce webhook "
        "Customer created). Gives the customer with its billing fields, meta data and a "
        "contact summary."),
    fields=META_FIELDS,
    sample=load_sample(__file__, "new_customer"),
    parse=parse_new_customer,
    needs_connection=True,
)

NEW_ORDER = Operation(
    key="new_order",
    kind=OperationKind.TRIGGER,
    mode=TriggerMode.INSTANT,
    noun=_l("order"),
    label=_l("New order"),
    description=_l(
        "Starts when an order is created (WooCommerce webhook Order created), guest orders "
        "included. Gives the order with its billing fields, meta data, local and UTC dates "
        "and a contact summary."),
    fields=META_FIELDS,
    sample=load_sample(__file__, "new_order"),
    parse=parse_new_order,
    needs_connection=True,
)

APP = App(
    key="woocommerce",
    name=_l("WooCommerce"),
    description=_l("Receive new customers and new orders from a WooCommerce store."),
    triggers=(NEW_CUSTOMER, NEW_ORDER),
    connection_fields=(
        Field(
            key="signing_secret",
            label=_l("Webhook secret"),
            type=FieldType.PASSWORD,
            required=True,
            help=_l(
                "The Secret field of the webhook, under WooCommerce > Settings > Advanced > "
                "Webhooks. Use the same secret for every webhook of this connection. Stored "
                "encrypted."),
        ),
    ),
)
