from django.db import migrations, models

HELP_TEXT = (
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
            field=models.BooleanField(default=True, help_text=HELP_TEXT),
        ),
        migrations.AlterField(
            model_name="order",
            name="cart_settled",
            field=models.BooleanField(default=False, help_text=HELP_TEXT),
        ),
    ]
