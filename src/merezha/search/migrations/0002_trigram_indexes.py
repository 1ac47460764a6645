"""The fuzzy-matching index of `SearchTerm`, per database.

PostgreSQL: the `pg_trgm` extension and a GIN trigram index on `search_searchterm.term`
(used by `%`, `similarity()` and `LIKE 'prefix%'`).
SQLite: an FTS5 table with the trigram tokenizer, `search_term_fts(term, kind UNINDEXED)`, whose
rowid is the `SearchTerm` id; the index services keep it in step (no triggers, no signals).
"""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS search_term_trgm ON search_searchterm USING gin (term gin_trgm_ops)",
]
PG_BACKWARD = ["DROP INDEX IF EXISTS search_term_trgm"]
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_term_fts USING fts5(term, kind UNINDEXED, tokenize='trigram')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS search_term_fts"]


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
