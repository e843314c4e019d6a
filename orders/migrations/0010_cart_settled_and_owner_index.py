from django.db import migrations, models

CART_SETTLED_HELP = (
    "True once the shopper's cart was emptied of what this order bought, or was found changed "
    "since: a payment only a webhook saw is settled on the next cart visit."
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
        # One index, a shopper's orders newest first, in place of the two on the key alone.
        migrations.AlterField(
            model_name="order",
            name="owner_key",
            field=models.CharField(
                help_text="user:<id> for signed-in shoppers, session:<key> for anonymous ones.",
                max_length=80,
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["owner_key", "-created_at", "-id"], name="order_owner_newest_first"
            ),
        ),
    ]
