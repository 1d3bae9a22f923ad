"""Field declarations shared by the HubSpot operations.

The keys are HubSpot's internal property names, so a step reads like the API it calls.
"""

from __future__ import annotations

from arrimage.connectors.declaration import Field, FieldType
from arrimage.i18n import _l

EMAIL = Field(
    key="email", label=_l("Email address"), type=FieldType.EMAIL, required=True,
    normalizer="email",
    help=_l("The contact's email address. HubSpot finds contacts by this address."),
)

# The properties that "create or update contact" sends besides the email address.
CONTACT_FIELDS = (
    EMAIL,
    Field(key="firstname", label=_l("First name"), normalizer="text",
          help=_l("The contact's first name.")),
    Field(key="lastname", label=_l("Last name"), normalizer="text",
          help=_l("The contact's last name.")),
    Field(key="company", label=_l("Company"), normalizer="text",
          help=_l("The contact's company or organization.")),
    Field(key="phone", label=_l("Phone number"), help=_l("Sent to HubSpot as mapped.")),
    Field(
        key="lifecyclestage", label=_l("Lifecycle stage"), placeholder="subscriber",
        help=_l("HubSpot's internal value: subscriber, lead, marketingqualifiedlead, "
                "salesqualifiedlead, opportunity, customer, evangelist or other, or the id of "
                "a custom stage."),
    ),
    Field(
        key="properties", label=_l("Other properties"), type=FieldType.DICT,
        help=_l("Any other HubSpot property by its internal name, such as hs_language or "
                "city. Empty values are left out."),
    ),
)

FIND_FIELDS = (
    Field(key="email", label=_l("Email address"), type=FieldType.EMAIL, normalizer="email",
          help=_l("The address to look up. Leave empty to look up by contact id.")),
    Field(key="contact_id", label=_l("Contact id"),
          help=_l("HubSpot's record id, such as the contact_id of the instant trigger. Used "
                  "instead of the email address when given.")),
    Field(key="properties", label=_l("Properties to read"),
          help=_l("Internal names of properties to read besides the usual ones, separated by "
                  "commas, such as city,jobtitle.")),
)

TRIGGER_PROPERTIES = Field(
    key="properties", label=_l("Properties to read"),
    help=_l("Internal names of properties to read besides the usual ones, separated by "
            "commas, such as city,jobtitle."),
)
