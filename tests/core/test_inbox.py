import pytest

from merezha.core.models import InboxDocument
from merezha.core.roles import Role
from merezha.core.services import inbox_deliver
from merezha.organisations.services import api_token_create

pytestmark = pytest.mark.django_db


def deliver(to):
    return inbox_deliver(
        kind="register",
        sender_code="HUB",
        recipient_code=to,
        title="Register 1",
        object_type="register",
        object_id="1",
        checksum="ab" * 32,
    )


def test_inbox_api_is_scoped_and_acknowledges_once(client, make_user):
    a, b = make_user(Role.PROVIDER), make_user(Role.PROVIDER)
    doc = deliver(a.organisation.code)
    ha = {"Authorization": f"Bearer {api_token_create(user=a, name='t')[1]}"}
    hb = {"Authorization": f"Bearer {api_token_create(user=b, name='t')[1]}"}
    assert [d["id"] for d in client.get("/api/v1/inbox", headers=ha).json()] == [doc.pk]
    assert client.get("/api/v1/inbox", headers=hb).json() == []
    assert client.get(f"/api/v1/inbox/{doc.pk}", headers=hb).status_code == 404
    assert client.post(f"/api/v1/inbox/{doc.pk}/acknowledge", headers=hb).status_code == 404
    first = client.post(f"/api/v1/inbox/{doc.pk}/acknowledge", headers=ha).json()
    again = client.post(f"/api/v1/inbox/{doc.pk}/acknowledge", headers=ha).json()
    assert first["status"] == again["status"] == "acknowledged"
    assert first["acknowledged_at"] == again["acknowledged_at"]


def test_inbox_page(client, make_user):
    a, b = make_user(Role.HOUSING), make_user(Role.HOUSING)
    doc = deliver(a.organisation.code)
    client.force_login(b)
    assert client.post(f"/inbox/{doc.pk}/acknowledge/").status_code == 404
    client.force_login(a)
    assert "Register 1" in client.get("/inbox/").content.decode()
    client.post(f"/inbox/{doc.pk}/acknowledge/")
    assert InboxDocument.objects.get(pk=doc.pk).status == "acknowledged"


def test_inbox_page_names_the_sender(client, make_user):
    from merezha.organisations.services import organisation_create

    user = make_user(Role.PROVIDER)
    organisation_create(code="HUB", name="Інформаційний центр «Мережа»", kind="info_centre")
    deliver(user.organisation.code)
    client.force_login(user)
    page = client.get("/inbox/").content.decode()
    assert '<td title="HUB">Інформаційний центр «Мережа»</td>' in page


def test_inbox_page_in_ukrainian_names_kinds_statuses_and_the_hub(client, make_user, ukrainian):
    user = make_user(Role.PROVIDER)
    doc = deliver(user.organisation.code)
    doc.sender_code = "hub"
    doc.save()
    client.force_login(user)
    page = client.get("/inbox/").content.decode()
    assert "<th>Відправник</th>" in page
    assert '<td>Реєстр платежів</td><td title="hub">Мережа</td>' in page
    assert "<td>Доставлено</td>" in page
