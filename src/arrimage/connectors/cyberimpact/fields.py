"""Field declarations shared by the Cyberimpact operations."""

from __future__ import annotations

from arrimage.connectors.declaration import Choice, Field, FieldType
from arrimage.i18n import _l

# The relationType values of Cyberimpact's batch schema (draft-07, ``$id``
# https://api.cyberimpact.com/batch-schema). PUT /members/{key}/consent takes the same values.
RELATION_TYPES = (
    Choice("express-consent", _l("Express consent")),
    Choice("active-clients", _l("Active client (implied consent)")),
    Choice("inactive-clients", _l("Former client (implied consent)")),
    Choice("information-request", _l("Information request (implied consent)")),
    Choice("business-card", _l("Business card (implied consent)")),
    Choice("web-contacts", _l("Web contact (implied consent)")),
    Choice("purchased-list", _l("Purchased list")),
    Choice("contest-participants", _l("Contest participant")),
    Choice("mixed-list", _l("Mixed list (implied consent)")),
    Choice("association-members", _l("Association member (implied consent)")),
    Choice("employees", _l("Employee (implied consent)")),
    Choice("partners", _l("Partner (implied consent)")),
)
RELATION_TYPE_VALUES = frozenset(choice.value for choice in RELATION_TYPES)

EMAIL = Field(
    key="email", label=_l("Email address"), type=FieldType.EMAIL, required=True,
    normalizer="email",
    help=_l("The contact's email address. Cyberimpact finds contacts by this address."),
)

GROUPS = Field(
    key="groups", label=_l("Groups"), type=FieldType.MULTICHOICE, depends_on=("connection",),
    choices_from="groups",
    help=_l("Cyberimpact groups to add the contact to, by id. Choose a connection to list them."),
)

CONTACT_FIELDS = (
    EMAIL,
    Field(key="first_name", label=_l("First name"), normalizer="text",
          help=_l("The contact's first name, as it should appear in emails.")),
    Field(key="last_name", label=_l("Last name"), normalizer="text",
          help=_l("The contact's last name.")),
    Field(
        key="gender", label=_l("Gender"), type=FieldType.CHOICE, normalizer="gender",
        choices=(Choice("f", _l("Woman")), Choice("m", _l("Man")), Choice("o", _l("Other"))),
        help=_l("Words such as Femme, Homme, Woman or F are converted. Others are left out."),
    ),
    Field(
        key="language", label=_l("Language"), type=FieldType.CHOICE, normalizer="language",
        choices=(Choice("fr_ca", _l("French")), Choice("en_ca", _l("English"))),
        help=_l("The language of the emails the contact receives. Names such as Français or "
                "English and codes such as fr are converted."),
    ),
    Field(key="company", label=_l("Company"), normalizer="text",
          help=_l("The contact's company or organization.")),
    Field(key="birthdate", label=_l("Birth date"), type=FieldType.DATE, normalizer="birthdate",
          help=_l("A date such as 1990-12-04, 04/12/1990 or 4 décembre 1990. A date written with "
                  "numbers only is read in the step's date order (Format options), day first by "
                  "default.")),
    Field(key="postal_code", label=_l("Postal code"), normalizer="postal_code",
          help=_l("Canadian postal codes are written as A1A 1A1. ZIP codes are kept.")),
    Field(key="country", label=_l("Country"), normalizer="country",
          help=_l("A country name in French or English, or a two-letter code such as CA.")),
    Field(key="note", label=_l("Note"), type=FieldType.TEXT, normalizer="text",
          help=_l("Free text kept on the contact's record in Cyberimpact.")),
    Field(
        key="custom_fields", label=_l("Custom fields"), type=FieldType.DICT,
        depends_on=("connection",), choices_from="custom_fields",
        help=_l("Values of the account's custom fields, keyed by the field's id or name. "
                "Values that do not match the field's type are left out."),
    ),
    GROUPS,
)

CONSENT_FIELDS = (
    Field(
        key="relation_type", label=_l("Consent basis"), type=FieldType.CHOICE, required=True,
        choices=RELATION_TYPES,
        help=_l("Why you may email this contact. Cyberimpact computes the consent's expiry "
                "from it. Express consent does not expire."),
    ),
    Field(
        key="consent_date", label=_l("Consent date"), type=FieldType.DATE,
        help=_l("The day the contact gave consent, for example {{ event.received_at }}. "
                "Empty means today, in the Toronto time zone."),
    ),
    Field(
        key="consent_proof", label=_l("Consent proof"), type=FieldType.TEXT, required=True,
        help=_l("How the contact gave consent, such as the form's name and address. "
                "255 characters at most."),
    ),
)
