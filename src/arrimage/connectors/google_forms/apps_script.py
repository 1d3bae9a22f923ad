"""The Apps Script that a form's owner pastes into the form, generated for one automation.

The script (``apps_script.js`` beside this module) posts each response to
``{public URL}/hooks/{automation id}`` with the webhook secret in ``X-Arrimage-Secret`` and, when
the trigger has a connection with a signing secret, an HMAC-SHA256 of the body in
``X-Arrimage-Signature``. Values are written into the template as JSON string literals, which are
valid JavaScript, so no value can end the string early.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from arrimage.engine.errors import InvalidInputError
from arrimage.i18n import LazyText, _l

if TYPE_CHECKING:
    from arrimage.runtime import Runtime

TEMPLATE_PATH = Path(__file__).with_name("apps_script.js")
APP_KEY = "google_forms"
TRIGGER_KEY = "new_response"


def render_apps_script(*, webhook_url: str, webhook_secret: str, signing_secret: str,
                       automation_label: str) -> str:
    """Return the script text with the URL and the secrets filled in."""
    values = {
        "__ARRIMAGE_WEBHOOK_URL__": json.dumps(webhook_url),
        "__ARRIMAGE_WEBHOOK_SECRET__": json.dumps(webhook_secret),
        "__ARRIMAGE_SIGNING_SECRET__": json.dumps(signing_secret),
        # In a comment: keep it on one line and unable to close the comment.
        "__ARRIMAGE_AUTOMATION_LABEL__": " ".join(automation_label.split()).replace("*/", "* /"),
    }
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    for placeholder, value in values.items():
        if placeholder not in text:
            raise RuntimeError(f"{TEMPLATE_PATH.name} lacks the placeholder {placeholder}")
        text = text.replace(placeholder, value)
    return text


def apps_script_for_automation(runtime: Runtime, automation_id: str) -> str:
    """Return the Apps Script for an automation whose trigger is Google Forms' new response.

    Raises :class:`~arrimage.engine.errors.NotFoundError` for an unknown automation and
    :class:`InvalidInputError` for another trigger.
    """
    summary = runtime.automations.get(automation_id)
    trigger = summary["trigger"]
    if (trigger["app"], trigger["event"]) != (APP_KEY, TRIGGER_KEY):
        raise InvalidInputError(_l(
            "The automation {id} starts from {app}.{event}. The Apps Script is for automations "
            "that start from google_forms.new_response.", id=automation_id, app=trigger["app"],
            event=trigger["event"]))

    reference = (summary.get("document") or {}).get("trigger", {}).get("connection")
    signing_secret = ""
    if reference:
        connection = runtime.connections.resolve(str(reference), APP_KEY)
        signing_secret = str(connection.value("signing_secret") or "")
        if not signing_secret:
            raise InvalidInputError(_l(
                "The connection {name} has no signing secret, so Arrimage would reject every "
                "response. Add one (arrimage connections add google_forms NAME --value "
                "signing_secret=…) or remove connection: from the trigger.",
                name=connection.name))

    return render_apps_script(
        webhook_url=f"{runtime.settings.base_url}/hooks/{automation_id}",
        webhook_secret=runtime.automations.webhook_secret(automation_id),
        signing_secret=signing_secret,
        automation_label=f"{summary['name']} ({automation_id})",
    )


def public_url_problem(base_url: str) -> LazyText | None:
    """Return why Google's servers cannot reach ``base_url``, or None when it looks reachable.

    Only the address's form is checked (a loopback, private or ``.local`` host, or plain http),
    never by connecting to it.
    """
    host = urlsplit(base_url).hostname or ""
    try:
        address = ipaddress.ip_address(host)
        private = address.is_loopback or address.is_private or address.is_link_local
    except ValueError:
        private = host == "localhost" or host.endswith((".local", ".internal", ".lan"))
    if private:
        return _l("The script sends responses to {url}, which Google's servers cannot reach. Set "
                  "ARRIMAGE_PUBLIC_URL to Arrimage's public https:// address, then generate the "
                  "script again.", url=base_url)
    if not base_url.startswith("https://"):
        return _l("The script sends responses to {url} without https, so the secrets cross the "
                  "Internet in clear. Set ARRIMAGE_PUBLIC_URL to an https:// address.",
                  url=base_url)
    return None

