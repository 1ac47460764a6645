"""PostgreSQL: the whole write of a payment as one function, `merezha_payment_take`.

A payment over the API used to be six round trips (BEGIN, the idempotency claim, the accounts'
lock, the counter with the payment and its lines, COMMIT), each with its Python driver work around
it. The function does the same steps, in the same order and under the same locks, inside one
statement: claim (scope, key) → lock the accounts in id order → take the next receipt number of
the point's open day under that row's lock → insert the payment and its lines. Called in
autocommit, the statement is its own transaction; any refusal raises, so nothing of it is kept.

Its statements run on generic plans (`plan_cache_mode`), planned once per connection: with the
default, PostgreSQL planned some of them anew on every call (≈ 20 % of the function's time).

Outcomes: 'created' (with the receipt number, the lines' ids and what the receipt shows of each
account), 'replay' (the key was taken before with the same request: read that payment) and
'conflict' (taken with another request). Refusals raise with a SQLSTATE of class MZ and the
offending value as the message: MZ001 unknown account (its id), MZ002 account no longer active
(its number), MZ003 the point's day has no open row yet or is closed (the caller takes the full
path of merezha.payments.services, which opens the day or moves to the next one).

The Python implementation in merezha.payments.services stays the only one on SQLite and the
fallback here; the test suite runs both against the same expectations. SQLite: nothing to do.
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION merezha_payment_take(
    p_scope text, p_key text, p_fingerprint text, p_created_at timestamptz,
    p_payment_id uuid, p_point_id bigint, p_cashier_id bigint, p_day date, p_receipt_prefix text,
    p_accepted_at timestamptz, p_method text, p_total bigint, p_tendered bigint, p_change bigint,
    p_accounts bigint[], p_amounts bigint[],
    OUT outcome text, OUT receipt_number integer, OUT line_ids bigint[], OUT provider_ids bigint[],
    OUT provider_codes text[], OUT service_codes text[], OUT account_numbers text[])
LANGUAGE plpgsql
-- every statement below looks rows up by key: one generic plan each, made once per connection,
-- instead of a custom plan made anew on every call (the plan cache's default for array arguments)
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
    taken_hash text;
    actives boolean[];
BEGIN
    -- 1. the idempotency claim: a concurrent claim of the same key waits here for the first
    --    transaction, then finds its committed row
    INSERT INTO core_idempotencykey (scope, key, request_hash, result_type, result_id, created_at)
    VALUES (p_scope, p_key, p_fingerprint, 'payment', p_payment_id::text, p_created_at)
    ON CONFLICT (scope, key) DO NOTHING;
    IF NOT FOUND THEN
        SELECT request_hash INTO taken_hash FROM core_idempotencykey
        WHERE scope = p_scope AND key = p_key;
        outcome := CASE WHEN taken_hash = p_fingerprint THEN 'replay' ELSE 'conflict' END;
        RETURN;
    END IF;
    -- 2. the accounts, locked in id order (the order of every writer of accounts)
    PERFORM 1 FROM providers_account WHERE id = ANY (p_accounts) ORDER BY id FOR UPDATE;
    SELECT array_agg(a.provider_id ORDER BY l.ord), array_agg(p.code ORDER BY l.ord),
           array_agg(s.code ORDER BY l.ord), array_agg(a.number ORDER BY l.ord),
           array_agg(a.is_active ORDER BY l.ord)
      INTO provider_ids, provider_codes, service_codes, account_numbers, actives
      FROM unnest(p_accounts) WITH ORDINALITY AS l (id, ord)
      LEFT JOIN providers_account a ON a.id = l.id
      LEFT JOIN organisations_organisation p ON p.id = a.provider_id
      LEFT JOIN organisations_service s ON s.id = a.service_id;
    FOR i IN 1 .. cardinality(p_accounts) LOOP
        IF provider_ids[i] IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'MZ001', MESSAGE = p_accounts[i]::text;
        END IF;
        IF NOT actives[i] THEN
            RAISE EXCEPTION USING ERRCODE = 'MZ002', MESSAGE = account_numbers[i];
        END IF;
    END LOOP;
    -- 3. the next receipt number of the point's open day, under that row's lock
    UPDATE payments_operationalday SET receipt_counter = receipt_counter + 1
     WHERE point_id = p_point_id AND day = p_day AND status = 'open'
     RETURNING receipt_counter INTO receipt_number;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'MZ003', MESSAGE = p_day::text;
    END IF;
    -- 4. the payment and its lines
    INSERT INTO payments_payment (id, operational_day, number, receipt, accepted_at, method, total,
                                  tendered, change, idempotency_key, cashier_id, point_id)
    VALUES (p_payment_id, p_day, receipt_number, p_receipt_prefix || receipt_number::text,
            p_accepted_at, p_method, p_total, p_tendered, p_change, p_key, p_cashier_id, p_point_id);
    WITH written AS (
        INSERT INTO payments_paymentline (operational_day, amount, account_id, payment_id, point_id,
                                          provider_id)
        SELECT p_day, p_amounts[l.ord], l.id, p_payment_id, p_point_id, provider_ids[l.ord]
          FROM unnest(p_accounts) WITH ORDINALITY AS l (id, ord)
         ORDER BY l.ord
        RETURNING id, account_id
    )
    SELECT array_agg(w.id ORDER BY l.ord) INTO line_ids
      FROM written w JOIN unnest(p_accounts) WITH ORDINALITY AS l (id, ord) ON l.id = w.account_id;
    outcome := 'created';
END
$fn$;
"""

DROP = """DROP FUNCTION IF EXISTS merezha_payment_take(
    text, text, text, timestamptz, uuid, bigint, bigint, date, text, timestamptz, text, bigint,
    bigint, bigint, bigint[], bigint[])"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("core", "0003_certificate"),
        ("providers", "0003_history_references_unconstrained"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
