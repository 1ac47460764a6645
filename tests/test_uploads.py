"""The upload guard: every upload route refuses a file beyond its kind's size before reading it whole."""

from __future__ import annotations

import pytest

from merezha.core.roles import OrgKind, Role
from merezha.formats.limits import file_limits
from merezha.organisations.services import api_token_create
from merezha.providers.models import Snapshot
from merezha.uploads import upload_refusal_text

pytestmark = pytest.mark.django_db

BOUNDARY = "b0undary"


class EndlessBody:
    """A request body of `size` bytes made up as they are read, counting what was read."""

    def __init__(self, size: int) -> None:
        self.size, self.read_bytes = size, 0

    def read(self, size: int = -1) -> bytes:
        size = self.size - self.read_bytes if size < 0 else min(size, self.size - self.read_bytes)
        self.read_bytes += size
        return b"x" * size

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def multipart(content: bytes, name: str = "list.csv", **fields: str) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def post(client, path, body, headers=None, **extra):
    return client.generic(
        "POST",
        path,
        body if isinstance(body, bytes) else b"-",
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        headers=headers or {},
        **({"wsgi.input": body, "CONTENT_LENGTH": str(body.size)} if isinstance(body, EndlessBody) else {}),
        **extra,
    )


@pytest.fixture
def provider_user(make_org, make_user):
    return make_user(Role.PROVIDER, organisation=make_org(OrgKind.PROVIDER, code="water"))


def bearer(user):
    return {"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"}


def test_a_300_mb_snapshot_is_refused_413_without_reading_its_body(client, provider_user, settings):
    body = EndlessBody(300 << 20)
    r = post(client, "/api/v1/snapshots", body, headers=bearer(provider_user))
    assert r.status_code == 413
    assert r.json() == {"detail": "the file is larger than 256 MiB, the most a snapshot upload may be"}
    assert body.read_bytes == 0
    assert r["Connection"] == "close"
    assert not Snapshot.objects.exists()


def test_a_body_that_says_less_than_it_sends_is_counted_while_it_streams(client, provider_user, settings):
    """Content-Length within the limit, the file beyond it: the files' bytes are counted and stopped."""
    settings.UPLOAD_MAX_BYTES = settings.UPLOAD_MAX_BYTES | {"snapshot": 16 << 10}
    body = multipart(
        b"account;closing\n" + b"A;1\n" * 20_000, period="2026-10", payments_through="2026-10-31"
    )
    assert len(body) < (16 << 10) + (1 << 20)
    r = post(client, "/api/v1/snapshots", body, headers=bearer(provider_user))
    assert r.status_code == 413
    assert r.json()["detail"] == "the file is larger than 16 KiB, the most a snapshot upload may be"
    assert not Snapshot.objects.exists()


@pytest.mark.parametrize(
    ("role", "kind", "path"),
    [
        (Role.HOUSING, "registry", "/api/v1/registry/uploads"),
        (Role.SUBSIDY, "batch_check", "/api/v1/subsidy/batch-checks"),
        (Role.SUBSIDY, "decisions", "/api/v1/subsidy/decisions/upload"),
    ],
)
def test_every_api_upload_route_has_its_kinds_limit(client, make_user, settings, role, kind, path):
    settings.UPLOAD_MAX_BYTES = settings.UPLOAD_MAX_BYTES | {kind: 1 << 10}
    r = post(client, path, multipart(b"x" * 4000), headers=bearer(make_user(role)))
    assert r.status_code == 413
    assert r.json() == {"detail": upload_refusal_text(kind)}
    small = post(client, path, EndlessBody(3 << 20), headers=bearer(make_user(role)))
    assert small.status_code == 413


def test_a_page_shows_the_refusal_on_its_form_without_reading_the_body(client, provider_user):
    client.force_login(provider_user)
    body = EndlessBody(300 << 20)
    r = post(client, "/provider/", body)
    assert r.status_code == 400
    assert body.read_bytes == 0
    assert r.context["form"].errors["file"] == [
        "The file is larger than 256 MiB, the most a snapshot upload may be."
    ]
    assert "The file is larger than 256 MiB" in r.content.decode()
    assert not Snapshot.objects.exists()


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/subsidies/batch-checks/", "batch check"), ("/subsidies/decisions/upload/", "decisions")],
)
def test_the_subsidy_pages_show_the_refusal_on_their_forms(client, make_user, settings, path, kind):
    client.force_login(make_user(Role.SUBSIDY))
    settings.UPLOAD_MAX_BYTES = settings.UPLOAD_MAX_BYTES | {"batch_check": 1 << 10, "decisions": 1 << 10}
    r = post(client, path, multipart(b"x" * 4000))
    assert r.status_code in (200, 400)
    assert f"The file is larger than 1 KiB, the most a {kind} upload may be." in r.content.decode()


def test_file_limits_come_from_the_settings(settings):
    settings.FILE_LIMITS = {"columns": 40, "json_depth": 8}
    settings.UPLOAD_MAX_ROWS = {"batch_check": 7}
    assert (file_limits().columns, file_limits().json_depth, file_limits().rows) == (40, 8, 5_000_000)
    assert file_limits("batch_check").rows == 7
    settings.FILE_LIMITS = {"colums": 1}
    with pytest.raises(ValueError, match="unknown file limit"):
        file_limits()


def test_a_malformed_multipart_body_is_a_400_with_its_reason(client, provider_user):
    r = client.generic(
        "POST",
        "/api/v1/snapshots",
        b"--other\r\nnonsense",
        content_type="multipart/form-data; boundary=",
        headers=bearer(provider_user),
    )
    assert r.status_code == 400
    assert r.json()["detail"].startswith("malformed multipart body: ")
