"""PostgreSQL: `merezha_cashier_payment_take`, the API's payment with its token check, one statement.

`POST /api/v1/payments` checked the bearer token in one round trip (token → user → organisation,
`organisations.services.api_token_authenticate`) and then took the payment in another
(`merezha_payment_take`, migration 0002). This function does both in one call, for the API's hot
path (`merezha.payments.api.payments_create_hot`):

1. the token's user, found by the token's SHA-256 digest, if and only if the Python checks of the
   route would let it pay: the token is not revoked (`api_token_authenticate`), the user is active
   and a cashier of an organisation (`User.has_role`, `require_role`), and that organisation is an
   active payment point (`payments.services._check_cashier`). Anything else raises MZ004 and keeps
   nothing: the caller then answers the request through the full route, which gives the 401 or 403;
2. the token's last use, written at most once a minute, as `api_token_authenticate` does;
3. `merezha_payment_take` at the user's point, with the scope and receipt prefix the Python path
   builds (`payment:<point code>`, `<point code>-<YYYYMMDD>-`): same steps, locks and refusals.

It returns the point's code and the cashier's username with the payment, for the receipt. The
tests of `payments.services.payment_take_for_token` pin every refusal against the Python checks.
SQLite: nothing to do.
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION merezha_cashier_payment_take(
    p_digest text, p_key text, p_fingerprint text, p_created_at timestamptz,
    p_payment_id uuid, p_day date, p_accepted_at timestamptz, p_method text,
    p_total bigint, p_tendered bigint, p_change bigint, p_accounts bigint[], p_amounts bigint[],
    OUT outcome text, OUT point_code text, OUT cashier_username text, OUT receipt_number integer,
    OUT line_ids bigint[], OUT provider_ids bigint[], OUT provider_codes text[],
    OUT service_codes text[], OUT account_numbers text[])
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
    token_id bigint;
    token_used timestamptz;
    cashier_id bigint;
    point_id bigint;
    prefix text;
BEGIN
    SELECT t.id, t.last_used_at, u.id, u.username, o.id, o.code
      INTO token_id, token_used, cashier_id, cashier_username, point_id, point_code
      FROM organisations_apitoken t
      JOIN organisations_user u ON u.id = t.user_id
      JOIN organisations_organisation o ON o.id = u.organisation_id
     WHERE t.digest = p_digest AND t.revoked_at IS NULL
       AND u.is_active AND u.role = 'cashier'
       AND o.kind = 'payment_point' AND o.is_active;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'MZ004', MESSAGE = 'not an active cashier''s token';
    END IF;
    IF token_used IS NULL OR token_used < p_created_at - interval '60 seconds' THEN
        UPDATE organisations_apitoken SET last_used_at = p_created_at WHERE id = token_id;
    END IF;
    prefix := point_code || '-' || to_char(p_day, 'YYYYMMDD') || '-';
    SELECT t.outcome, t.receipt_number, t.line_ids, t.provider_ids, t.provider_codes,
           t.service_codes, t.account_numbers
      INTO outcome, receipt_number, line_ids, provider_ids, provider_codes, service_codes,
           account_numbers
      FROM merezha_payment_take('payment:' || point_code, p_key, p_fingerprint, p_created_at,
                                p_payment_id, point_id, cashier_id, p_day, prefix, p_accepted_at,
                                p_method, p_total, p_tendered, p_change, p_accounts, p_amounts) t;
END
$fn$;
"""

DROP = """DROP FUNCTION IF EXISTS merezha_cashier_payment_take(
    text, text, text, timestamptz, uuid, date, timestamptz, text, bigint, bigint, bigint, bigint[],
    bigint[])"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_lean_payment_indexes"),
        ("organisations", "0002_network_services"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
