"""Turn one row into a member of a Cyberimpact ``addMembers`` batch, as the actions convert fields.

Each value goes through its field's normalizer as :func:`arrimage.connectors.formats.convert_fields`
(the function Cyberimpact's actions call) converts it, so a row is sent as an automation would
send it. A value that cannot be converted is left out with a warning. An invalid email address,
consent basis, consent date or consent proof rejects the row with :class:`RowRejected`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from arrimage.connectors.context import FormatSettings
from arrimage.connectors.cyberimpact.fields import EMAIL, RELATION_TYPE_VALUES
from arrimage.connectors.cyberimpact.step_input import (
    BODY_KEYS,
    CONTACT_VALUE_FIELDS,
    MAX_CONSENT_PROOF_CHARS,
    consent_date,
)
from arrimage.connectors.formats import FieldsConverter, FieldValue, convert_value
from arrimage.engine.errors import InvalidInputError
from arrimage.i18n import LazyText, _l
from arrimage.normalize import is_empty, normalize


class RowRejected(Exception):
    """The row cannot be sent. ``reason`` explains why, for the report."""

    def __init__(self, reason: LazyText) -> None:
        super().__init__(reason.render("en"))
        self.reason = reason


@dataclass
class MemberRow:
    """A row ready for a batch: the member's body, and the batch-level consent basis and groups."""

    email: str
    member: dict[str, str]
    relation_type: str
    groups: tuple[int, ...]
    warnings: list[LazyText] = field(default_factory=list)

    # Rows with the same key can share a batch: same consent basis, same groups.
    batch_key: str = field(init=False)

    def __post_init__(self) -> None:
        self.batch_key = f"{self.relation_type}|{','.join(str(group) for group in self.groups)}"


@dataclass(frozen=True)
class ConsentFallback:
    """Values used when a row gives none (the command's options)."""

    relation_type: str | None = None
    consent_date: dt.date | None = None
    consent_proof: str | None = None


GroupResolver = Callable[[str], int | None]


def email_key(email: str) -> str:
    """Return the form used to compare addresses: Cyberimpact matches them without case."""
    return email.strip().casefold()


def check_email(value: Any, formats: FormatSettings) -> tuple[str, list[LazyText]]:
    """Return the normalized address and its warnings, or raise :class:`RowRejected`."""
    return _checked_email(convert_value(EMAIL, value, formats))


def _checked_email(result: FieldValue) -> tuple[str, list[LazyText]]:
    if result.value is None and result.errors:
        raise RowRejected(result.errors[0].text)
    if result.value is None:
        raise RowRejected(_l("The email address is empty."))
    return str(result.value), [message.text for message in result.warnings]


class MemberBuilder:
    """Turn rows into batch members, with the same formats, groups and consent fallback for all.

    Build one per import: it converts values with a :class:`FieldsConverter`, which reuses the
    conversion of a value that repeats, and checks the consent fallback once.
    """

    def __init__(
        self,
        formats: FormatSettings,
        resolve_group: GroupResolver,
        fallback: ConsentFallback,
        extra_groups: tuple[int, ...] = (),
    ) -> None:
        self._formats = formats
        self._resolve_group = resolve_group
        self._fallback = fallback
        self._extra_groups = extra_groups
        self._email = FieldsConverter((EMAIL,), formats)
        self._fields = FieldsConverter(CONTACT_VALUE_FIELDS, formats)
        # A row without a consent proof gets the fallback's, whose check has one outcome for all.
        try:
            self._fallback_proof: str | LazyText = _consent_proof(None, fallback)
        except RowRejected as exc:
            self._fallback_proof = exc.reason

    def build(self, values: Mapping[str, Any]) -> MemberRow:
        """Convert a row's values (keyed like the contact fields) into a batch member."""
        converted_email = self._email.convert({"email": values.get("email")})["email"]
        email, warnings = _checked_email(converted_email)
        member: dict[str, str] = {"email": email}
        for key, result in self._fields.convert(values).items():
            if result.errors or result.warnings:
                warnings.extend(message.text for message in result.messages)
            if result.value is not None:
                member[BODY_KEYS[key]] = str(result.value)

        relation_type = _relation_type(values.get("relation_type"), self._fallback)
        member["consentDate"] = _consent_date(
            values.get("consent_date"), self._fallback, self._formats).isoformat()
        member["consentProof"] = self._consent_proof(values.get("consent_proof"))

        groups = list(self._extra_groups)
        for group in _group_ids(values.get("groups"), self._resolve_group, warnings):
            if group not in groups:
                groups.append(group)
        return MemberRow(email, member, relation_type, tuple(sorted(groups)), warnings)

    def _consent_proof(self, value: Any) -> str:
        if value is not None and not is_empty(value):
            return _consent_proof(value, self._fallback)
        if isinstance(self._fallback_proof, str):
            return self._fallback_proof
        raise RowRejected(self._fallback_proof)


def _relation_type(value: Any, fallback: ConsentFallback) -> str:
    text = str(value or "").strip() or (fallback.relation_type or "")
    if text not in RELATION_TYPE_VALUES:
        raise RowRejected(_l(
            "The consent basis \"{value}\" is invalid: use one of {choices}.",
            value=text, choices=", ".join(sorted(RELATION_TYPE_VALUES))))
    return text


def _consent_date(value: Any, fallback: ConsentFallback, formats: FormatSettings) -> dt.date:
    if is_empty(value):
        if fallback.consent_date is None:
            raise RowRejected(_l(
                "The consent date is empty. Give the date the contact gave consent in a column "
                "such as Date de consentement, or with --consent-date."))
        return fallback.consent_date
    if isinstance(value, (dt.date, dt.datetime)):
        return consent_date(value)
    try:
        return consent_date(str(value).strip())
    except InvalidInputError:
        pass
    # Dates as people write them (15/03/2024, 15 mars 2024), read like birth dates, which
    # also rejects dates in the future.
    written = normalize("birthdate", value, date_order=formats.date_order.upper())
    if written.value is None:
        raise RowRejected(_l(
            "The consent date \"{value}\" is invalid: use a date such as 2024-03-15 that is not in "
            "the future.", value=str(value)))
    return dt.date.fromisoformat(written.value)


def _consent_proof(value: Any, fallback: ConsentFallback) -> str:
    proof = normalize("text", value or "", multiline=False).value or fallback.consent_proof
    if not proof:
        raise RowRejected(_l(
            "The consent proof is empty: say how the contacts gave consent, with "
            "--consent-proof or a column such as Preuve de consentement."))
    if len(proof) > MAX_CONSENT_PROOF_CHARS:
        raise RowRejected(_l(
            "The consent proof has {count} characters, more than the {limit} that Cyberimpact "
            "accepts. Shorten it.", count=len(proof), limit=MAX_CONSENT_PROOF_CHARS))
    return proof


def _group_ids(raw: Any, resolve_group: GroupResolver, warnings: list[LazyText]) -> list[int]:
    """Read group ids or titles from a list or a text split on commas and semicolons."""
    if is_empty(raw):
        return []
    if isinstance(raw, (list, tuple)):
        items = [str(item) for item in raw]
    else:
        items = str(raw).replace(";", ",").split(",")

    groups: list[int] = []
    for item in items:
        text = item.strip()
        if not text:
            continue
        group = resolve_group(text)
        if group is None:
            warnings.append(_l(
                "The group \"{group}\" does not exist in this Cyberimpact account, so the contact "
                "is not added to it.", group=text))
        elif group not in groups:
            groups.append(group)
    return groups
