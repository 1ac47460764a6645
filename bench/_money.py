"""Shared plumbing of the money-loop benchmarks: a fresh database, a synthetic network, a table."""

from __future__ import annotations

import datetime as dt
import os
import random
import uuid
from collections.abc import Sequence
from typing import Any

PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _pg(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def pg_fresh_database(prefix: str) -> str:
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_pg(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def pg_drop_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_pg(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def django_on(database_url: str, home: str) -> None:
    """Point Django at `database_url` and migrate it (call once per process, before any model import)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["MEREZHA_HOME"] = home
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merezha.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def network_build(
    *, providers: int, points: int, accounts: int, seed: int, through: dt.date
) -> dict[str, Any]:
    """Providers with one applied snapshot and their accounts; payment points with one cashier each."""
    from merezha.core.money import Money
    from merezha.organisations.models import Organisation, Service, User
    from merezha.providers.models import Account, Snapshot

    rng = random.Random(seed)
    services = list(Service.objects.order_by("code"))
    provs = Organisation.objects.bulk_create(
        [
            Organisation(code=f"PROV-{i + 1}", name=f"Provider {i + 1}", kind="provider")
            for i in range(providers)
        ]
    )
    snaps = Snapshot.objects.bulk_create(
        [
            Snapshot(provider=p, period=through.replace(day=1), payments_through=through, status="applied")
            for p in provs
        ]
    )
    Account.objects.bulk_create(
        [
            Account(
                provider=provs[i % providers],
                snapshot=snaps[i % providers],
                number=f"{i:08d}",
                service=services[i % len(services)],
                street="вул. Проскурівська",
                house=str(1 + i % 200),
                apartment=str(1 + i % 90),
                payer=f"Петренко Іван {i}",
                closing=Money(rng.randint(1_000, 500_000)),
            )
            for i in range(accounts)
        ],
        batch_size=5000,
    )
    pts = Organisation.objects.bulk_create(
        [
            Organisation(code=f"PP-{i + 1:03d}", name=f"Point {i + 1}", kind="payment_point")
            for i in range(points)
        ]
    )
    cashiers = []
    for p in pts:
        u = User(username=f"cashier-{p.code.lower()}", organisation=p, role="cashier")
        u.set_unusable_password()
        cashiers.append(u)
    User.objects.bulk_create(cashiers)
    return {
        "providers": provs,
        "points": pts,
        "cashiers": list(User.objects.filter(role="cashier").order_by("username")),
        "account_ids": list(Account.objects.order_by("pk").values_list("pk", "provider_id")),
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    out = [
        " | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)),
        "-+-".join("-" * w for w in widths),
    ]
    out += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells[1:]]
    return "\n".join(out)
