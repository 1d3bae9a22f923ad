"""The outcome of each delivery: how its run ended, the reason of a skip or a failure, and warnings.

Every copy of a delivery gets one outcome: ``succeeded``, ``duplicate`` (a repeat that started
no run), ``skipped`` (a filter stopped the run) or ``failed`` (a rejected delivery, a failed
run, or a run still unfinished at the deadline). Texts are rendered in the current locale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from arrimage.connectors.cyberimpact.fields import RELATION_TYPES
from arrimage.demo.player import PlayedDelivery, Post
from arrimage.engine.records import status_label
from arrimage.i18n import LazyText, _, _l, current_locale

RELATION_LABELS = {choice.value: choice.label for choice in RELATION_TYPES}

# The reason a recipe's filter stops a run, keyed by the operator and the compared value of the
# condition that failed rather than by its position, so reordering a filter keeps the texts.
FILTER_REASONS: dict[tuple[str, Any], LazyText] = {
    ("contains", "Oui"): _l(
        "The person did not check \"Oui\" under \"Infolettre\", so no opt-in request is sent."),
    ("not_equals", "unsubscribed"): _l(
        "The customer unsubscribed from the shop's emails, so Arrimage does not add them."),
    ("is_false", None): _l("This is a test notification from the shop, not a real customer."),
    ("is_not_empty", None): _l("The event has no email address."),
    ("not_equals", "voided"): _l("The order was voided, so it is not a purchase."),
}
# Filters whose conditions together make one reason, by step id.
FILTER_STEP_REASONS: dict[str, LazyText] = {
    "consent_basis": _l(
        "The customer has not bought yet and did not subscribe to the shop's emails: under "
        "CASL, opening an account is not a purchase, so there is no consent basis. Their first "
        "order adds them, through the Shopify order recipe."),
}
# The WooCommerce recipe's condition on the order status.
ORDER_STATUS_CONDITION = ("matches", "^(processing|completed|on-hold)$")

RESULTS: dict[str, LazyText] = {
    "optin_sent": _l("Opt-in request sent: the confirmation email waits in the sandbox's outbox."),
    "found": _l("Already a contact of these groups: nothing to change."),
    "already_exists": _l("Already a contact: left as it is."),
    "unsubscribed": _l("This address unsubscribed: the contact is left as it is."),
}


@dataclass
class EventOutcome:
    """The outcome of one copy of a bundled delivery."""

    key: str
    label: str
    automation_id: str
    name: str
    email: str
    outcome: str
    run_id: str | None = None
    run_status: str | None = None
    result: str | None = None
    message: str = ""
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the outcome as JSON-ready data."""
        return {
            "key": self.key, "source": self.label, "automation": self.automation_id,
            "name": self.name, "email": self.email, "outcome": self.outcome,
            "run_id": self.run_id, "run_status": self.run_status, "result": self.result,
            "message": self.message, "reason": self.reason, "warnings": self.warnings,
        }


def event_outcomes(played: list[PlayedDelivery], runs: dict[str, dict[str, Any]],
                   group_titles: dict[int, str], waited_seconds: float) -> list[EventOutcome]:
    """Return one outcome per copy sent, in the order they were sent."""
    outcomes = []
    for delivery in played:
        first_run: str | None = None
        for copy_number, post in enumerate(delivery.posts):
            outcome = _base(delivery)
            if post.error is not None:
                _rejected(outcome, post)
            elif copy_number == 0:
                first_run = post.run_id
                _from_run(outcome, runs.get(post.run_id or "", {}), group_titles, waited_seconds)
            else:
                _repeat(outcome, post, first_run)
            outcomes.append(outcome)
    return outcomes


def localized(message: Any) -> str:
    """Return a stored message (text, or texts by locale) in the current locale."""
    if isinstance(message, dict):
        return str(message.get(current_locale()) or message.get("fr_CA") or message.get("en") or "")
    return "" if message is None else str(message)


def _base(delivery: PlayedDelivery) -> EventOutcome:
    name, email = person_of(delivery.delivery.source, delivery.delivery.topic, delivery.payload)
    return EventOutcome(key=delivery.delivery.key, label=delivery.delivery.label,
                        automation_id=delivery.delivery.automation, name=name, email=email,
                        outcome="failed")


def person_of(source: str, topic: str | None, payload: dict[str, Any]) -> tuple[str, str]:
    """Return the name and the email address of the person a bundled body is about."""
    if source == "google_forms":
        answers = payload.get("answers", {})
        first, last, email = answers.get("Prénom"), answers.get("Nom"), answers.get("Courriel")
    elif source == "shopify" and topic == "orders/create":
        billing = payload.get("billing_address") or {}
        first, last, email = billing.get("first_name"), billing.get("last_name"), payload.get("email")
    elif source == "shopify":
        first, last, email = payload.get("first_name"), payload.get("last_name"), payload.get("email")
    else:
        billing = payload.get("billing") or {}
        first, last, email = billing.get("first_name"), billing.get("last_name"), billing.get("email")
    name = " ".join(str(part).strip() for part in (first, last) if part and str(part).strip())
    return name, str(email or "").strip()


def _rejected(outcome: EventOutcome, post: Post) -> None:
    outcome.outcome = "failed"
    if post.status_code is None:
        outcome.reason = _("The delivery could not reach Arrimage: {problem}",
                           problem=post.error)
    else:
        outcome.reason = _("Arrimage rejected the delivery (HTTP {status}): {problem}",
                           status=post.status_code, problem=post.error)
    outcome.message = outcome.reason


def _repeat(outcome: EventOutcome, post: Post, first_run: str | None) -> None:
    outcome.run_id = post.run_id
    if post.duplicate and post.run_id == first_run:
        outcome.outcome = "duplicate"
        outcome.message = _("Delivered again unchanged: Arrimage recognised the duplicate and "
                            "started no second run.")
        return
    outcome.outcome = "failed"
    outcome.reason = _("Delivered again unchanged, but Arrimage started the second run {run_id}.",
                       run_id=post.run_id)
    outcome.message = outcome.reason


def _from_run(outcome: EventOutcome, run: dict[str, Any], group_titles: dict[int, str],
              waited_seconds: float) -> None:
    outcome.run_id = run.get("id")
    outcome.run_status = run.get("status")
    steps = run.get("steps") or []
    outcome.warnings = [localized(warning.get("message")) for step in steps
                        for warning in step.get("warnings") or []]

    if outcome.run_status == "succeeded":
        outcome.outcome = "succeeded"
        outcome.message, outcome.result = _success(steps, group_titles)
    elif outcome.run_status == "filtered":
        outcome.outcome = "skipped"
        outcome.reason = _filter_reason(steps)
        outcome.message = outcome.reason
    elif outcome.run_status == "failed":
        outcome.outcome = "failed"
        error = run.get("error") or {}
        outcome.reason = localized(error.get("message")) or str(error.get("code") or "")
        outcome.message = outcome.reason
    else:
        outcome.outcome = "failed"
        outcome.reason = _("The run is still {status} after {seconds} s.",
                           status=status_label(outcome.run_status), seconds=round(waited_seconds))
        outcome.message = outcome.reason


def _success(steps: list[dict[str, Any]], group_titles: dict[int, str]) -> tuple[str, str | None]:
    actions = [step for step in steps if step.get("app") == "cyberimpact" and step.get("kind") == "action"]
    if not actions:
        return _("The run succeeded."), None
    output = actions[-1].get("output") or {}
    result = str(output.get("outcome") or "")
    if result == "created":
        titles = [str(group.get("title")) for group in output.get("groups") or []]
        relation = str((output.get("consent") or {}).get("relationType") or "")
        label = RELATION_LABELS.get(relation)
        text = _("Contact created in {groups}, with the consent basis \"{basis}\".",
                 groups=", ".join(titles) or "-", basis=label.render() if label else relation)
        return _with_consent_note(text, steps), result
    if result == "added_to_groups":
        titles = [group_titles.get(int(group_id), str(group_id))
                  for group_id in output.get("added_group_ids") or []]
        return _("Already a contact: only added to {groups}. Their details and consent stay as "
                 "they were.", groups=", ".join(titles)), result
    known = RESULTS.get(result)
    return (known.render() if known else _("The run succeeded.")), result or None


def _with_consent_note(text: str, steps: list[dict[str, Any]]) -> str:
    trigger = next((step.get("output") for step in steps if step.get("step_id") == "trigger"), None)
    contact = trigger.get("contact") if isinstance(trigger, dict) else None
    if isinstance(contact, dict) and contact.get("marketing_consent") == "no":
        note = _("The customer did not accept marketing emails. The recipe adds them all the "
                 "same, because its consent basis is the purchase, not the newsletter box.")
        return f"{text} {note}"
    return text


def _filter_reason(steps: list[dict[str, Any]]) -> str:
    stopped = next((step for step in steps if step.get("status") == "filtered"), None)
    if stopped is None:
        return _("A filter stopped the run.")
    step_reason = FILTER_STEP_REASONS.get(str(stopped.get("step_id")))
    if step_reason is not None:
        return step_reason.render()
    conditions = (stopped.get("input") or {}).get("conditions") or []
    for number, condition in enumerate(conditions, start=1):
        if condition.get("passed"):
            continue
        operator, compare_to = condition.get("operator"), condition.get("compare_to")
        known = FILTER_REASONS.get((operator, compare_to))
        if known is not None:
            return known.render()
        if (operator, compare_to) == ORDER_STATUS_CONDITION:
            return _("The order's status is {status}: only paid orders, and orders on hold, "
                     "count as a purchase.", status=condition.get("value"))
        return _("The filter {step} stopped the run: its condition {number} does not hold for "
                 "the value {value}.", step=stopped.get("step_id"), number=number,
                 value=repr(condition.get("value")))
    return _("The filter {step} stopped the run.", step=stopped.get("step_id"))
