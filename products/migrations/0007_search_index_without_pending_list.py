from django.db import migrations

SEARCH_INDEX_NAME = "wagtailsearch_indexentry_title_body_gin"


def write_entries_straight_into_the_search_index(apps, schema_editor):
    """PostgreSQL otherwise queues new entries of a GIN index in a pending list that every
    search reads through until (auto)vacuum merges it: after an import of thousands of products
    that is milliseconds on each search. Products change rarely and are searched often, so each
    change pays for its own index update instead (the PostgreSQL manual's advice when steady
    response time matters more than update speed)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX {SEARCH_INDEX_NAME} SET (fastupdate = off)")
        schema_editor.execute(f"SELECT gin_clean_pending_list('{SEARCH_INDEX_NAME}'::regclass)")


def queue_entries_again(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX {SEARCH_INDEX_NAME} RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0006_tax_code_validator"),
    ]

    operations = [
        migrations.RunPython(write_entries_straight_into_the_search_index, queue_entries_again),
    ]
