"""The settlement terms page: the information centre sets a point's or an operator's terms."""

from __future__ import annotations

from decimal import Decimal

import pytest

from merezha.core.roles import Role
from merezha.settlements.models import SettlementTerms
from merezha.settlements.selectors import settlement_terms_list

pytestmark = pytest.mark.django_db
URL = "/settlement/terms/"


def _terms(code: str) -> tuple[str, int, bool] | None:
    t = SettlementTerms.objects.filter(organisation__code=code).first()
    return (t.mode, t.commission_bp, t.by_agent) if t else None


def test_only_the_information_centre_may_see_or_set_terms(client, city, make_user):
    for role in (Role.CASHIER, Role.SUBSIDY, Role.HOUSING, Role.MANAGER, Role.PROVIDER):
        client.force_login(make_user(role))
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"org": "BANK", "mode": "net", "commission": "5"}).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302
    assert _terms("BANK") is None


def test_the_list_shows_operators_with_their_points_and_their_terms(client, city, ukrainian):
    rows = settlement_terms_list()
    codes = [r.organisation.code for r in rows]
    points = [c for c in codes if c not in ("BANK", "POST")]
    assert codes == ["BANK", *points[:2], "POST", *points[2:]]
    post = rows[codes.index("POST")]
    assert post.terms is not None
    assert (post.percent, post.terms.by_agent) == (Decimal("1.50"), True)
    client.force_login(city.users["admin"])
    html = client.get(URL).content.decode()
    assert "<h1>Умови розрахунків</h1>" in html
    assert '<td class="num">1,50</td>' in html
    assert '<th class="num">Комісія, %</th>' in html
    assert "одне доручення за всі пункти оператора" in html


def test_the_centre_sets_net_terms_in_per_cent(client, city, ukrainian):
    client.force_login(city.users["admin"])
    response = client.post(URL, {"org": "BANK", "mode": "net", "commission": "1,25", "by_agent": "1"})
    assert response.status_code == 302 and response["Location"] == URL
    assert _terms("BANK") == ("net", 125, True)
    client.post(URL, {"org": "BANK", "mode": "gross", "commission": ""})
    assert _terms("BANK") == ("gross", 0, False)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"org": "", "mode": "net", "commission": "1"}, "Виберіть пункт прийому платежів або оператора."),
        (
            {"org": "BANK", "mode": "net", "commission": "1,255"},
            "Комісія — це відсоток з не більше ніж двома знаками після коми, наприклад 1,25.",
        ),
        ({"org": "BANK", "mode": "net", "commission": "абв"}, "Комісія — це відсоток з не більше ніж двома"),
        ({"org": "BANK", "mode": "net", "commission": "150"}, "Комісія — це відсоток від 0 до 100."),
        ({"org": "BANK", "mode": "net", "commission": "-1"}, "Комісія — це відсоток від 0 до 100."),
        # an exponent is no percentage (and 1e999999999 would be a number of a billion digits)
        ({"org": "BANK", "mode": "net", "commission": "1e2"}, "Комісія — це відсоток з не більше ніж двома"),
        ({"org": "BANK", "mode": "net", "commission": "1e999999999"}, "Комісія — це відсоток з не більше"),
        (
            {"org": "BANK", "mode": "gross", "commission": "2"},
            "комісію утримують лише за переказу за вирахуванням комісії",
        ),
        (
            {"org": "VODA", "mode": "gross", "commission": ""},
            "VODA — не пункт прийому платежів і не оператор",
        ),
        (
            {"org": "BANK", "mode": "<script>", "commission": ""},
            "спосіб переказу — уся сума дня або за вирахуванням комісії, а не &#x27;&lt;script&gt;&#x27;",
        ),
    ],
)
def test_a_refused_form_says_why_in_ukrainian_keeps_what_was_typed_and_changes_nothing(
    client, city, ukrainian, data, message
):
    client.force_login(city.users["admin"])
    response = client.post(URL, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert f'name="commission" inputmode="decimal" size="6" value="{data["commission"]}"' in html
    assert _terms("BANK") is None
