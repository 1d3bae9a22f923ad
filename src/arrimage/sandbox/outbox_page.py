"""HTML of the outbox and of the confirmation page, in Québec French or English.

The page chrome follows ``?lang=`` or the browser's ``Accept-Language`` and falls back to
French. Each email is shown in its contact's language, as Cyberimpact would send it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from jinja2 import Environment, select_autoescape
from starlette.requests import Request

from arrimage.i18n import _, negotiate_locale, normalize_locale, use_locale
from arrimage.sandbox.outbox import OutboxEmail

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))

_LAYOUT = """<!DOCTYPE html>
<html lang="{{ html_lang }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto;
       padding: 0 1rem; color: #1d2733; }
nav { float: right; }
/* Addresses, subjects and links have no spaces to wrap at: let them break anywhere, so that
   a phone's screen (375 px) never scrolls sideways. */
h1, p, dd, a { overflow-wrap: anywhere; }
article { border: 1px solid #c9d2dc; border-radius: .5rem; padding: 1rem; margin: 1rem 0; }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .2rem 1rem; margin: 0 0 .8rem; }
dt { font-weight: 600; }
dd { margin: 0; min-width: 0; }
@media (max-width: 30rem) {
  body { margin: 1rem auto; }
  dl { grid-template-columns: minmax(0, 1fr); gap: 0; }
  dd { margin-bottom: .5rem; }
}
.button { background: #0b5cad; color: #fff; border: 0; padding: .5rem 1rem;
          border-radius: .3rem; cursor: pointer; }
</style></head>
<body>
<nav><a href="?lang=fr" lang="fr-CA">Français</a> · <a href="?lang=en" lang="en">English</a></nav>
<h1>{{ title }}</h1>
{% for paragraph in intro %}<p>{{ paragraph }}</p>{% endfor %}
{% for email in emails %}
<article lang="{{ email.html_lang }}">
  <dl>
    <dt>{{ labels.to }}</dt><dd>{{ email.to }}</dd>
    <dt>{{ labels.subject }}</dt><dd>{{ email.subject }}</dd>
    <dt>{{ labels.sent }}</dt><dd>{{ email.sent }}</dd>
    <dt>{{ labels.status }}</dt><dd>{{ email.status }}</dd>
    {% if email.groups %}<dt>{{ labels.groups }}</dt><dd>{{ email.groups }}</dd>{% endif %}
  </dl>
  <p>{{ email.greeting }}</p><p>{{ email.body }}</p>
  <form method="post" action="{{ email.confirm_path }}">
    <button class="button" type="submit">{{ email.button }}</button>
  </form>
</article>
{% endfor %}
{% if links %}<p>
  {% for link in links %}<a href="{{ link.href }}">{{ link.text }}</a> {% endfor %}
</p>{% endif %}
</body></html>
"""


def page_locale(request: Request) -> str:
    """Return the page's locale: ``?lang=``, else ``Accept-Language``, else French."""
    requested = request.query_params.get("lang")
    if requested:
        return normalize_locale(requested)
    return negotiate_locale(request.headers.get("accept-language"))


def _html_lang(locale: str) -> str:
    return "en" if locale == "en" else "fr-CA"


def _when(moment: str, locale: str, zone: ZoneInfo) -> str:
    return format_datetime(datetime.fromisoformat(moment), "medium", tzinfo=zone, locale=locale)


def render_outbox(emails: list[OutboxEmail], locale: str, zone: ZoneInfo) -> str:
    """Render the list of confirmation emails."""
    with use_locale(locale):
        title = _("Sandbox outbox")
        intro = [
            _(
                "Opt-in confirmation emails that the Cyberimpact sandbox would have sent. "
                "Nothing leaves this computer."
            )
        ]
        if not emails:
            intro.append(_("No email yet. Each POST /members/optins request adds one here."))
        labels = {
            "to": _("To"),
            "subject": _("Subject"),
            "sent": _("Sent"),
            "status": _("Status"),
            "groups": _("Groups"),
        }
        rows = []
        for email in emails:
            status = (
                _("Confirmed on {date}", date=_when(email.confirmed_on, locale, zone))
                if email.confirmed_on
                else _("Waiting for confirmation")
            )
            with use_locale(email.locale):
                button = _("Confirm my subscription")
            rows.append(
                {
                    "html_lang": _html_lang(email.locale),
                    "to": email.to,
                    "subject": email.subject,
                    "sent": _when(email.created_on, locale, zone),
                    "status": status,
                    "groups": ", ".join(email.groups),
                    "greeting": email.greeting,
                    "body": email.body,
                    "confirm_path": email.confirm_path,
                    "button": button,
                }
            )
    template = _ENV.from_string(_LAYOUT)
    return template.render(
        html_lang=_html_lang(locale), title=title, intro=intro, emails=rows, labels=labels, links=[]
    )


def render_confirmation(locale: str, account: str, already: bool, continue_url: str | None) -> str:
    """Render the page shown after a confirm link was followed."""
    with use_locale(locale):
        title = _("Subscription confirmed")
        if already:
            intro = [_("This subscription was already confirmed.")]
        else:
            intro = [_("Thank you! You will now receive emails from {account}.", account=account)]
        links = [
            {
                "href": f"/outbox?lang={'en' if locale == 'en' else 'fr'}",
                "text": _("Back to the outbox"),
            }
        ]
        if continue_url:
            links.insert(0, {"href": continue_url, "text": _("Continue to the site")})
    template = _ENV.from_string(_LAYOUT)
    return template.render(
        html_lang=_html_lang(locale), title=title, intro=intro, emails=[], labels={}, links=links
    )


def render_missing(locale: str) -> str:
    """Render the page for a confirm link that matches no opt-in request."""
    with use_locale(locale):
        title = _("Confirmation link not found")
        intro = [
            _(
                "This link matches no opt-in request. "
                "The sandbox may have been reset since it was sent."
            )
        ]
        links = [{"href": "/outbox", "text": _("Back to the outbox")}]
    template = _ENV.from_string(_LAYOUT)
    return template.render(
        html_lang=_html_lang(locale), title=title, intro=intro, emails=[], labels={}, links=links
    )
