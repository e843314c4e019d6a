from django.db import migrations, models

CART_SETTLED_HELP = (
    "True once the shopper's cart was emptied of what this order bought, or was found changed "
    "since: a payment only a webhook saw is settled on the next cart visit."
)


OWNER_KEY_INDEXES = ["orders_order_owner_key_14137523", "orders_order_owner_key_14137523_like"]


def drop_owner_key_indexes(apps, schema_editor):
    for name in OWNER_KEY_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_owner_key_indexes(apps, schema_editor):
    plain, like = (schema_editor.quote_name(name) for name in OWNER_KEY_INDEXES)
    schema_editor.execute(f'CREATE INDEX {plain} ON "orders_order" ("owner_key")')
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX {like} ON "orders_order" ("owner_key" varchar_pattern_ops)'
        )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0009_settled_charges_shipping_address_and_checkout_settings"),
    ]

    operations = [
        # Orders placed before count as settled: no cart is emptied on their account now.
        migrations.AddField(
            model_name="order",
            name="cart_settled",
            field=models.BooleanField(default=True, help_text=CART_SETTLED_HELP),
        ),
        migrations.AlterField(
            model_name="order",
            name="cart_settled",
            field=models.BooleanField(default=False, help_text=CART_SETTLED_HELP),
        ),
        # One index, a shopper's orders newest first, in place of the two on the key alone. They
        # are dropped by name: altering the field would drop every index on the column, the
        # partial unique index keeping one open checkout per shopper among them.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="order",
                    name="owner_key",
                    field=models.CharField(
                        help_text=(
                            "user:<id> for signed-in shoppers, session:<key> for anonymous ones."
                        ),
                        max_length=80,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_owner_key_indexes, create_owner_key_indexes),
            ],
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["owner_key", "-created_at", "-id"], name="order_owner_newest_first"
            ),
        ),
    ]
