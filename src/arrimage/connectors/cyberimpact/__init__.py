"""Cyberimpact, the Québec email-marketing service: its triggers, actions and contact search.

:mod:`.client` calls the REST API v4 and :mod:`.errors` contains the errors it raises.
:mod:`.triggers` polls for new contacts, group members and groups. :mod:`.actions` and
:mod:`.searches` hold the perform functions, and :mod:`.step_input` turns a step's input into
request bodies. :mod:`.choices` lists the account's groups and custom fields for the UI.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from arrimage.connectors.cyberimpact.actions import (
    perform_add_to_groups,
    perform_create_contact,
    perform_create_group,
    perform_find_or_create_contact,
    perform_send_optin,
)
from arrimage.connectors.cyberimpact.choices import list_custom_field_choices, list_group_choices
from arrimage.connectors.cyberimpact.client import DEFAULT_BASE_URL, CyberimpactClient
from arrimage.connectors.cyberimpact.fields import CONSENT_FIELDS, CONTACT_FIELDS, EMAIL, GROUPS
from arrimage.connectors.cyberimpact.searches import perform_find_contact
from arrimage.connectors.cyberimpact.triggers import (
    poll_contact_added,
    poll_contact_added_to_group,
    poll_group_created,
    sample_contacts_added,
    sample_contacts_added_to_group,
    sample_groups_created,
)
from arrimage.connectors.declaration import (
    App,
    Field,
    FieldType,
    Operation,
    OperationKind,
    TriggerMode,
)
from arrimage.connectors.samples import load_sample
from arrimage.engine.errors import AuthenticationError
from arrimage.i18n import _l

CONTACT_ADDED = Operation(
    key="contact_added",
    kind=OperationKind.TRIGGER,
    mode=TriggerMode.POLLING,
    noun=_l("contact"),
    label=_l("Contact added"),
    description=_l("Starts when a contact is added to the account, in a group or not. "
                   "Checks every minute unless the automation sets another interval."),
    sample=load_sample(__file__, "contact_added"),
    poll=poll_contact_added,
    load_samples=sample_contacts_added,
    needs_connection=True,
)

CONTACT_ADDED_TO_GROUP = Operation(
    key="contact_added_to_group",
    kind=OperationKind.TRIGGER,
    mode=TriggerMode.POLLING,
    noun=_l("contact"),
    label=_l("Contact added to a group"),
    description=_l("Starts when a contact joins the chosen group, including a contact that was "
                   "already in the account."),
    fields=(
        Field(key="group", label=_l("Group"), type=FieldType.CHOICE, required=True,
              depends_on=("connection",), choices_from="groups",
              help=_l("The group to watch, by id or exact title. Choose a connection to list "
                      "the groups.")),
    ),
    sample=load_sample(__file__, "contact_added_to_group"),
    poll=poll_contact_added_to_group,
    load_samples=sample_contacts_added_to_group,
    needs_connection=True,
)

GROUP_CREATED = Operation(
    key="group_created",
    kind=OperationKind.TRIGGER,
    mode=TriggerMode.POLLING,
    noun=_l("group"),
    label=_l("Group created"),
    description=_l("Starts when a group is created in the account."),
    sample=load_sample(__file__, "group_created"),
    poll=poll_group_created,
    load_samples=sample_groups_created,
    needs_connection=True,
)

CREATE_CONTACT = Operation(
    key="create_contact",
    kind=OperationKind.ACTION,
    noun=_l("contact"),
    label=_l("Create contact"),
    description=_l("Adds a contact without a confirmation email and records its consent. An "
                   "existing or unsubscribed contact is left unchanged."),
    fields=(*CONTACT_FIELDS, *CONSENT_FIELDS),
    sample=load_sample(__file__, "create_contact"),
    perform=perform_create_contact,
)

SEND_OPTIN = Operation(
    key="send_optin",
    kind=OperationKind.ACTION,
    noun=_l("opt-in request"),
    label=_l("Send opt-in request"),
    description=_l("Emails a request to confirm the subscription. The contact is added or "
                   "updated, with express consent, when the person confirms."),
    fields=(
        *CONTACT_FIELDS,
        Field(key="confirmation_url", label=_l("Confirmation page"), type=FieldType.URL,
              help=_l("The page shown after the contact confirms. Empty: Cyberimpact's page.")),
    ),
    sample=load_sample(__file__, "send_optin"),
    perform=perform_send_optin,
)

ADD_TO_GROUPS = Operation(
    key="add_to_groups",
    kind=OperationKind.ACTION,
    noun=_l("contact"),
    label=_l("Add contact to groups"),
    description=_l("Adds an existing contact to groups and keeps the groups it is already in."),
    fields=(EMAIL, replace(GROUPS, required=True)),
    sample=load_sample(__file__, "add_to_groups"),
    perform=perform_add_to_groups,
)

CREATE_GROUP = Operation(
    key="create_group",
    kind=OperationKind.ACTION,
    noun=_l("group"),
    label=_l("Create group"),
    description=_l("Creates a group, or returns the group that already has the same title."),
    fields=(
        Field(key="title", label=_l("Title"), required=True,
              help=_l("The group's name, as shown in Cyberimpact.")),
        Field(key="public", label=_l("Public group"), type=FieldType.BOOLEAN, default=False,
              help=_l("Public groups appear on subscription forms.")),
        Field(key="allow_duplicate", label=_l("Allow a duplicate title"), type=FieldType.BOOLEAN,
              default=False,
              help=_l("Off: a group with the same title (ignoring case and spaces) is returned "
                      "instead of creating another.")),
    ),
    sample=load_sample(__file__, "create_group"),
    perform=perform_create_group,
)

FIND_OR_CREATE_CONTACT = Operation(
    key="find_or_create_contact",
    kind=OperationKind.ACTION,
    noun=_l("contact"),
    label=_l("Find or create contact"),
    description=_l("Creates the contact with its consent if absent. If present, only adds it to "
                   "the chosen groups, without changing its details."),
    fields=(*CONTACT_FIELDS, *CONSENT_FIELDS),
    sample=load_sample(__file__, "find_or_create_contact"),
    perform=perform_find_or_create_contact,
)

FIND_CONTACT = Operation(
    key="find_contact",
    kind=OperationKind.SEARCH,
    noun=_l("contact"),
    label=_l("Find contact"),
    description=_l("Looks a contact up by email address, with its groups and consent. "
                   "Not finding it is a normal result."),
    fields=(EMAIL,),
    sample=load_sample(__file__, "find_contact"),
    perform=perform_find_contact,
)


def check_connection(values: dict[str, Any]) -> str:
    """Call ``GET /ping`` with the connection's token and return the account's name."""
    token = values.get("token")
    if not isinstance(token, str) or not token.strip():
        raise AuthenticationError(_l(
            "The Cyberimpact API token is missing. Create one in Cyberimpact under "
            "Developers > API tokens and paste it in the connection."))
    base_url = str(values.get("base_url") or "").strip() or DEFAULT_BASE_URL
    with CyberimpactClient(token=token, base_url=base_url) as client:
        account = client.ping()
    return str(account.get("account") or account.get("username") or account.get("email") or "")


APP = App(
    key="cyberimpact",
    name=_l("Cyberimpact"),
    description=_l("Add contacts to your Cyberimpact email-marketing account, with their "
                   "consent, and manage their groups."),
    triggers=(CONTACT_ADDED, CONTACT_ADDED_TO_GROUP, GROUP_CREATED),
    actions=(CREATE_CONTACT, SEND_OPTIN, FIND_OR_CREATE_CONTACT, ADD_TO_GROUPS, CREATE_GROUP),
    searches=(FIND_CONTACT,),
    connection_fields=(
        Field(
            key="token", label=_l("API token"), type=FieldType.PASSWORD, required=True,
            help=_l("Create a token in Cyberimpact under Developers > API tokens. "
                    "Stored encrypted."),
        ),
        Field(
            key="base_url", label=_l("API address"), type=FieldType.URL, default=DEFAULT_BASE_URL,
            help=_l("Leave as is for Cyberimpact. To try without emailing anyone, point it at "
                    "the local sandbox (arrimage sandbox): http://127.0.0.1:8466."),
        ),
    ),
    check_connection=check_connection,
    choice_sources={"groups": list_group_choices, "custom_fields": list_custom_field_choices},
)
