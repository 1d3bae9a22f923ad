"""HubSpot, the CRM: new contact triggers, "create or update contact" and "find contact".

:mod:`.client` calls the CRM v3 API with a private app's access token and maps each failure to
a step error. :mod:`.actions` contains the perform functions. :mod:`.triggers` contains the
webhook parse (signature v3), the search-based poll, and the reading of a contact's properties
at the start of an instant run; its docstring explains why they are not read in the parse.
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
from arrimage.connectors.hubspot.actions import (
    perform_create_or_update_contact,
    perform_find_contact,
)
from arrimage.connectors.hubspot.client import DEFAULT_BASE_URL
from arrimage.connectors.hubspot.connection import check_connection
from arrimage.connectors.hubspot.fields import CONTACT_FIELDS, FIND_FIELDS, TRIGGER_PROPERTIES
from arrimage.connectors.hubspot.triggers import (
    enrich_new_contact,
    parse_new_contact_webhook,
    poll_new_contact,
    sample_new_contacts,
)
from arrimage.connectors.samples import load_sample
from arrimage.i18n import _l

NEW_CONTACT = Operation(
    key="new_contact",
    kind=OperationKind.TRIGGER,
    mode=TriggerMode.POLLING,
    noun=_l("contact"),
    label=_l("New contact"),
    description=_l("Starts when a contact is created in HubSpot, with its properties. Checks "
                   "every minute unless the automation sets another interval."),
    fields=(TRIGGER_PROPERTIES,),
    sample=load_sample(__file__, "new_contact"),
    poll=poll_new_contact,
    load_samples=sample_new_contacts,
    needs_connection=True,
)

NEW_CONTACT_INSTANT = Operation(
    key="new_contact_instant",
    kind=OperationKind.TRIGGER,
    mode=TriggerMode.INSTANT,
    noun=_l("contact"),
    label=_l("New contact (instant)"),
    description=_l("Starts as soon as HubSpot sends a contact creation to the webhook URL. "
                   "The contact's properties are read from HubSpot when the run starts."),
    sample=load_sample(__file__, "new_contact_instant"),
    parse=parse_new_contact_webhook,
    enrich=enrich_new_contact,
    needs_connection=True,
)

CREATE_OR_UPDATE_CONTACT = Operation(
    key="create_or_update_contact",
    kind=OperationKind.ACTION,
    noun=_l("contact"),
    label=_l("Create or update contact"),
    description=_l("Updates the contact that has this email address, or creates it. Empty "
                   "values never erase what HubSpot has."),
    fields=CONTACT_FIELDS,
    sample=load_sample(__file__, "create_or_update_contact"),
    perform=perform_create_or_update_contact,
)

FIND_CONTACT = Operation(
    key="find_contact",
    kind=OperationKind.SEARCH,
    noun=_l("contact"),
    label=_l("Find contact"),
    description=_l("Looks a contact up by email address or by id, with its properties. Not "
                   "finding it is a normal result."),
    fields=FIND_FIELDS,
    sample=load_sample(__file__, "find_contact"),
    perform=perform_find_contact,
)

APP = App(
    key="hubspot",
    name=_l("HubSpot"),
    description=_l("Create and update contacts in the HubSpot CRM, and start automations when "
                   "a contact is created."),
    triggers=(NEW_CONTACT, NEW_CONTACT_INSTANT),
    actions=(CREATE_OR_UPDATE_CONTACT,),
    searches=(FIND_CONTACT,),
    connection_fields=(
        Field(
            key="token", label=_l("Access token"), type=FieldType.PASSWORD, required=True,
            help=_l("The access token of a private app, with the scopes "
                    "crm.objects.contacts.read and crm.objects.contacts.write (in HubSpot: "
                    "Settings > Integrations > Private Apps). Stored encrypted."),
        ),
        Field(
            key="client_secret", label=_l("Client secret"), type=FieldType.PASSWORD,
            help=_l("Only for the instant trigger: the client secret of the app that sends "
                    "the webhooks, which signs them. Stored encrypted."),
        ),
        Field(
            key="base_url", label=_l("API address"), type=FieldType.URL, default=DEFAULT_BASE_URL,
            help=_l("Leave as is for HubSpot. Tests point it at the local HubSpot emulator."),
        ),
    ),
    check_connection=check_connection,
)
