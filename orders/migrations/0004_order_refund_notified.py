from django.db import migrations, models


def count_past_refunds_as_notified(apps, schema_editor):
    """Refunds recorded before refund emails existed are not emailed about now."""
    Order = apps.get_model("orders", "Order")
    for order in Order.objects.filter(amount_refunded__gt=0).only("pk", "amount_refunded"):
        cents = int(order.amount_refunded * 100)
        Order.objects.filter(pk=order.pk).update(refund_notified_cents=cents)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_saved_cart"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="refund_notified_cents",
            field=models.PositiveBigIntegerField(
                default=0,
                help_text="The refunded amount the shopper has been emailed about, in cents.",
            ),
        ),
        migrations.RunPython(count_past_refunds_as_notified, migrations.RunPython.noop),
    ]
