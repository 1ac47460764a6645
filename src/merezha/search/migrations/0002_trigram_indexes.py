"""The fuzzy-matching index of `SearchTerm`, per database and per kind of word.

PostgreSQL: the `pg_trgm` extension and a partial GIN trigram index on `search_searchterm.term`
for each kind (used by `%`, `similarity()` and `LIKE 'prefix%'`).
SQLite: an FTS5 table with the trigram tokenizer per kind, `search_term_fts_<kind>(term)`, whose
rowid is the `SearchTerm` id; the index services keep them in step (no triggers, no signals).
One index per kind keeps a street look-up from scoring 100,000 surnames.
"""

from django.db import migrations

KINDS = ("s", "l", "t")
PG_FORWARD = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"] + [
    f"CREATE INDEX IF NOT EXISTS search_term_trgm_{k} ON search_searchterm USING gin (term gin_trgm_ops)"
    f" WHERE kind = '{k}'"
    for k in KINDS
]
PG_BACKWARD = [f"DROP INDEX IF EXISTS search_term_trgm_{k}" for k in KINDS]
SQLITE_FORWARD = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS search_term_fts_{k} USING fts5(term, tokenize='trigram')"
    for k in KINDS
]
SQLITE_BACKWARD = [f"DROP TABLE IF EXISTS search_term_fts_{k}" for k in KINDS]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = PG_FORWARD if vendor == "postgresql" else SQLITE_FORWARD if vendor == "sqlite" else []
    for sql in statements:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = PG_BACKWARD if vendor == "postgresql" else SQLITE_BACKWARD if vendor == "sqlite" else []
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
