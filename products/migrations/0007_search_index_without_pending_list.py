import django.db.models.functions.comparison
from django.db import migrations, models

# The index products.0004 adds for searches, and Wagtail's index for suggestions.
SEARCH_INDEX_NAMES = ["wagtailsearch_indexentry_title_body_gin", "wagtailsear_autocom_476c89_gin"]


def write_entries_straight_into_the_search_indexes(apps, schema_editor):
    """PostgreSQL otherwise queues new entries of a GIN index in a pending list that every
    search reads through until (auto)vacuum merges it: after an import of thousands of products
    that is milliseconds on each search. Products change rarely and are searched often, so each
    change pays for its own index update instead (the PostgreSQL manual's advice when steady
    response time matters more than update speed)."""
    if schema_editor.connection.vendor == "postgresql":
        for name in SEARCH_INDEX_NAMES:
            schema_editor.execute(f"ALTER INDEX IF EXISTS {name} SET (fastupdate = off)")
            schema_editor.execute(
                f"SELECT gin_clean_pending_list(index.oid) FROM pg_class AS index "
                f"WHERE index.relname = '{name}'"
            )


def queue_entries_again(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in SEARCH_INDEX_NAMES:
            schema_editor.execute(f"ALTER INDEX IF EXISTS {name} RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0006_tax_code_validator"),
        ("wagtailsearch", "0010_add_text_fields"),
    ]

    operations = [
        migrations.RunPython(write_entries_straight_into_the_search_indexes, queue_entries_again),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                django.db.models.functions.comparison.Cast(
                    "id", models.CharField(max_length=50)
                ),
                name="product_search_object_id",
            ),
        ),
    ]
