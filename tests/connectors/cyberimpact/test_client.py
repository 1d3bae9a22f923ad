"""The Cyberimpact client over real HTTP against the sandbox on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import httpx
import pytest

from arrimage.connectors.cyberimpact.client import CyberimpactClient, describe_request, member_key
from arrimage.connectors.cyberimpact.errors import (
    ConsentConflictError,
    CyberimpactNotFoundError,
    CyberimpactRejectedError,
    CyberimpactValidationError,
    ErrorBody,
    FieldError,
    InvalidTokenError,
    MemberExistsError,
    UnsubscribedError,
    parse_error_body,
)
from arrimage.engine.errors import (
    AppRejectedError,
    AuthenticationError,
    ConnectError,
    RateLimitedError,
    ServerError,
    StepTimeoutError,
)
from arrimage.sandbox import SandboxConfig
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import ISO_DATETIME, SEED, TOKEN

from .conftest import FaultSetter

SUBSCRIBED = "genevieve.tremblay@example.com"  # seed member 5001, express consent
PLUS_ADDRESS = "chloe.bouchard+infolettre@example.com"  # seed member 5003
UNSUBSCRIBED = "luc.pelletier@example.com"  # seed member 5008
NEWSLETTER_GROUP = 101
ERROR_SHAPES = ("message", "errors_list", "errors_object", "text")


def test_ping_returns_account(client: CyberimpactClient) -> None:
    account = client.ping()
    assert account["ping"] == "success"
    assert account["account"] == "Boutique Sandbox"


def test_get_member_by_email_and_id(client: CyberimpactClient) -> None:
    by_email = client.get_member(SUBSCRIBED)
    by_id = client.get_member(5001)
    assert by_email is not None
    assert by_id == by_email
    assert ISO_DATETIME.match(by_email["joinedOn"])


def test_get_member_unknown_returns_none(client: CyberimpactClient) -> None:
    assert client.get_member("nobody@example.com") is None


def test_create_member_plus_address_round_trip(client: CyberimpactClient) -> None:
    created = client.create_member(
        {"email": "anne+promo@example.com", "firstname": "Anne", "groups": str(NEWSLETTER_GROUP)}
    )
    found = client.get_member("anne+promo@example.com")
    assert found is not None
    assert found["id"] == created["id"]
    assert found["email"] == "anne+promo@example.com"


def test_get_member_seeded_plus_address(client: CyberimpactClient) -> None:
    member = client.get_member(PLUS_ADDRESS)
    assert member is not None
    assert member["id"] == 5003


def test_member_key_encodes_plus_and_at() -> None:
    assert member_key("anne+promo@example.com") == "anne%2Bpromo%40example.com"
    assert member_key(5001) == "5001"


def test_describe_request_masks_email() -> None:
    path = f"/members/{member_key(PLUS_ADDRESS)}/consent"
    assert describe_request("PUT", path) == "PUT /members/ch***@example.com/consent"


def test_create_duplicate_raises_member_exists(client: CyberimpactClient) -> None:
    with pytest.raises(MemberExistsError) as caught:
        client.create_member({"email": SUBSCRIBED})
    assert caught.value.status_code == 409
    assert isinstance(caught.value, AppRejectedError)
    assert not caught.value.transient
    assert SUBSCRIBED in caught.value.message.render("en")


def test_create_unsubscribed_raises_unsubscribed(client: CyberimpactClient) -> None:
    with pytest.raises(UnsubscribedError) as caught:
        client.create_member({"email": UNSUBSCRIBED})
    assert caught.value.status_code == 422
    assert caught.value.field == "email"
    assert "opt-in" in caught.value.message.render("en")


def test_get_unsubscribed_member_still_found(client: CyberimpactClient) -> None:
    member = client.get_member(UNSUBSCRIBED)
    assert member is not None
    assert member["id"] == 5008


def test_add_groups_keeps_existing_ones(client: CyberimpactClient) -> None:
    group = client.create_group("Nouveautés", is_public=True)
    groups = client.add_member_groups(SUBSCRIBED, [group["id"]])
    assert {entry["id"] for entry in groups} == {101, 102, group["id"]}


def test_add_unknown_group_raises_validation(client: CyberimpactClient) -> None:
    with pytest.raises(CyberimpactValidationError) as caught:
        client.add_member_groups(SUBSCRIBED, [999])
    assert caught.value.field == "groups"
    assert "999" in caught.value.message.render("en")


def test_unknown_group_members_raises_not_found(client: CyberimpactClient) -> None:
    with pytest.raises(CyberimpactNotFoundError) as caught:
        client.list_group_members(999)
    assert caught.value.status_code == 404
    assert caught.value.api_message == "Group 999 not found"


def test_add_groups_unknown_member_not_found(client: CyberimpactClient) -> None:
    with pytest.raises(CyberimpactNotFoundError) as caught:
        client.add_member_groups("nobody+x@example.com", [NEWSLETTER_GROUP])
    rendered = caught.value.message.render("en")
    assert "nobody+x@example.com" in rendered  # the API's own message quotes the key
    assert "POST /members/no***@example.com/groups" in rendered


def test_invalid_token_raises_authentication(sandbox: SandboxServer) -> None:
    with (
        CyberimpactClient("wrong-token", base_url=sandbox.base_url) as stranger,
        pytest.raises(InvalidTokenError) as caught,
    ):
        stranger.ping()
    assert isinstance(caught.value, AuthenticationError)
    assert caught.value.status_code == 401
    assert not caught.value.transient


def test_token_not_in_error_or_repr(sandbox: SandboxServer) -> None:
    secret = "secret-token-value"
    with CyberimpactClient(secret, base_url=sandbox.base_url) as stranger:
        with pytest.raises(InvalidTokenError) as caught:
            stranger.ping()
        assert secret not in repr(stranger)
    assert secret not in str(caught.value.to_record())


def test_rate_limit_carries_retry_after(client: CyberimpactClient, set_faults: FaultSetter) -> None:
    set_faults(throttle_every=1, retry_after_seconds=7)
    with pytest.raises(RateLimitedError) as caught:
        client.ping()
    assert caught.value.retry_after == 7.0
    assert caught.value.status_code == 429
    assert caught.value.transient


def test_server_error_is_transient(client: CyberimpactClient, set_faults: FaultSetter) -> None:
    set_faults(fail_next=1, fail_status=500)
    with pytest.raises(ServerError) as caught:
        client.get_member(SUBSCRIBED)
    assert caught.value.status_code == 500
    assert caught.value.transient
    assert client.get_member(SUBSCRIBED) is not None


def test_timeout_raises_step_timeout(sandbox: SandboxServer, set_faults: FaultSetter) -> None:
    set_faults(latency_ms=1000)
    with (
        CyberimpactClient(TOKEN, base_url=sandbox.base_url, timeout_seconds=0.2) as impatient,
        pytest.raises(StepTimeoutError) as caught,
    ):
        impatient.ping()
    assert caught.value.transient


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_refused_connection_raises_connect_error() -> None:
    base_url = f"http://127.0.0.1:{closed_port()}"
    with (
        CyberimpactClient(TOKEN, base_url=base_url, timeout_seconds=2) as lost,
        pytest.raises(ConnectError) as caught,
    ):
        lost.ping()
    assert caught.value.transient
    assert base_url in caught.value.message.render("en")


def test_consent_downgrade_raises_conflict(client: CyberimpactClient) -> None:
    with pytest.raises(ConsentConflictError) as caught:
        client.put_member_consent(
            SUBSCRIBED, {"relationType": "active-clients", "consentDate": "2025-01-01"}
        )
    assert caught.value.status_code == 422
    assert caught.value.field == "relationType"
    assert client.get_member_consent(SUBSCRIBED)["consentType"] == "express"


def test_consent_update_allowed(client: CyberimpactClient) -> None:
    consent = client.put_member_consent(
        "marc-andre.gagnon@example.com",
        {"relationType": "express-consent", "consentDate": "2025-02-01", "consentProof": "Form"},
    )
    assert consent["consentType"] == "express"
    assert consent["consentExpiration"] is None


def test_send_optin_returns_request_id(client: CyberimpactClient, admin: httpx.Client) -> None:
    answer = client.send_optin({"email": "new+optin@example.com", "groups": "101"})
    assert list(answer.values()) == ["created"]
    outbox = admin.get("/outbox.json").json()
    assert [message["to"] for message in outbox["messages"]] == ["new+optin@example.com"]


def test_list_custom_fields_returns_list(client: CyberimpactClient) -> None:
    fields = client.list_custom_fields()
    assert [field["id"] for field in fields] == [1, 2, 3, 4]


@pytest.fixture
def group_of_250(client: CyberimpactClient) -> int:
    """Create a group holding 250 new members and return its id."""
    group = client.create_group("Grand groupe", is_public=False)
    for number in range(250):
        client.create_member({"email": f"contact{number:03}@example.com", "groups": group["id"]})
    return int(group["id"])


def test_iter_members_reads_all_pages_once(
    client: CyberimpactClient, group_of_250: int, caplog: pytest.LogCaptureFixture
) -> None:
    expected = client.list_members(status="all", limit=1)["totalCount"]
    with caplog.at_level(logging.DEBUG, logger="arrimage.connectors.cyberimpact.client"):
        members = list(client.iter_members(status="all", page_size=100))
    ids = [member["id"] for member in members]
    assert expected >= 250
    assert len(ids) == expected
    assert len(set(ids)) == len(ids)
    assert len([record for record in caplog.records if "GET /members" in record.message]) == 3


def test_group_members_page_three(client: CyberimpactClient, group_of_250: int) -> None:
    everyone = [member["id"] for member in client.iter_group_members(group_of_250)]
    page = client.list_group_members(group_of_250, page=3, limit=50)
    assert len(everyone) == 250
    assert page["page"] == 3
    assert page["totalCount"] == 250
    assert [member["id"] for member in page["members"]] == everyone[100:150]


def test_iter_groups_small_pages(client: CyberimpactClient) -> None:
    groups = list(client.iter_groups(page_size=1))
    assert [group["id"] for group in groups] == [101, 102, 103, 104]


def test_page_arguments_checked(client: CyberimpactClient) -> None:
    with pytest.raises(ValueError):
        client.list_members(limit=10_001)
    with pytest.raises(ValueError):
        client.list_groups(page=0)


@pytest.fixture(scope="module", params=ERROR_SHAPES)
def shaped_sandbox(request: pytest.FixtureRequest) -> Iterator[tuple[str, SandboxServer]]:
    """Run a sandbox that writes error bodies in one shape and reports duplicates with 422."""
    config = SandboxConfig(
        tokens=[TOKEN], seed=SEED, error_shape=request.param, duplicate_status=422
    )
    running = SandboxServer(config).start()
    yield request.param, running
    running.stop()


def test_error_shape_validation_message(shaped_sandbox: tuple[str, SandboxServer]) -> None:
    shape, running = shaped_sandbox
    with (
        CyberimpactClient(TOKEN, base_url=running.base_url) as client,
        pytest.raises(CyberimpactValidationError) as caught,
    ):
        client.create_group("", is_public=True)
    rendered = caught.value.message.render("en")
    assert "The given data was invalid." in rendered
    if shape == "message":
        assert caught.value.field is None
    else:
        assert "title: The title field is required." in rendered
    if shape in ("errors_list", "errors_object"):
        assert caught.value.field == "title"


def test_error_shape_duplicate_by_wording(shaped_sandbox: tuple[str, SandboxServer]) -> None:
    _shape, running = shaped_sandbox
    with (
        CyberimpactClient(TOKEN, base_url=running.base_url) as client,
        pytest.raises(MemberExistsError) as caught,
    ):
        client.create_member({"email": SUBSCRIBED})
    assert caught.value.status_code == 422
    assert "already exists" in caught.value.message.render("en")


def test_error_message_in_french(client: CyberimpactClient) -> None:
    with pytest.raises(MemberExistsError) as caught:
        client.create_member({"email": SUBSCRIBED})
    french = caught.value.message.render("fr_CA")
    assert "courriel" in french
    assert "already exists in Cyberimpact" not in french


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"message": "Bad", "errors": ["one", "two"]}',
         ErrorBody("Bad", (FieldError(None, "one"), FieldError(None, "two")))),
        (b'{"errors": [{"field": "email", "description": "Taken"}]}',
         ErrorBody(None, (FieldError("email", "Taken"),))),
        (b'{"message": "Bad", "errors": {"email": ["Invalid", "Taken"], "country": "Unknown"}}',
         ErrorBody("Bad", (FieldError("email", "Invalid"), FieldError("email", "Taken"),
                           FieldError("country", "Unknown")))),
        (b'{"error": "Not authorized"}', ErrorBody("Not authorized")),
        (b'[{"id": 7, "description": "Members with ids 7 do not exists"}]',
         ErrorBody(None, (FieldError(None, "Members with ids 7 do not exists"),))),
        (b"Bad gateway\n  upstream down", ErrorBody("Bad gateway upstream down")),
        (b"", ErrorBody(None)),
    ],
)
def test_parse_error_body_shapes(content: bytes, expected: ErrorBody) -> None:
    assert parse_error_body(content) == expected


def test_parse_error_body_cuts_long_text() -> None:
    body = parse_error_body(b"<html>" + b"x" * 5000 + b"</html>", "text/html")
    assert body.message is not None
    assert len(body.message) == 200
    assert body.message.endswith("…")


def test_summary_joins_message_and_fields() -> None:
    body = ErrorBody("The given data was invalid.", (FieldError("title", "Required."),))
    assert body.summary() == "The given data was invalid. (title: Required.)"


def test_non_json_success_raises_server_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>maintenance</html>")

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        client = CyberimpactClient(TOKEN, base_url="http://127.0.0.1:1", http=http)
        with pytest.raises(ServerError) as caught:
            client.ping()
    assert "<html>maintenance</html>" in caught.value.message.render("en")


def test_requests_carry_token_and_iso_dates() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"members": [], "totalCount": 0})

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        client = CyberimpactClient(TOKEN, base_url="http://127.0.0.1:1/", http=http)
        client.list_members(status="all")
        client.ping()
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert seen[0].url.params["dateReturnFormat"] == "ISO8601"
    assert seen[0].url.params["status"] == "all"
    assert "dateReturnFormat" not in seen[1].url.params


def test_other_client_error_is_rejected() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(405, json={"message": "Method not allowed"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        client = CyberimpactClient(TOKEN, base_url="http://127.0.0.1:1", http=http)
        with pytest.raises(CyberimpactRejectedError) as caught:
            client.ping()
    assert type(caught.value) is CyberimpactRejectedError
    assert caught.value.status_code == 405


def test_invalid_base_url_rejected() -> None:
    with pytest.raises(ValueError):
        CyberimpactClient(TOKEN, base_url="api.cyberimpact.com")
