import django.db.models.deletion
from django.db import migrations, models


def record_emails_already_sent(apps, schema_editor):
    """Confirmations and refund emails sent before the outbox are in it as sent, so none goes
    out again."""
    Order = apps.get_model("orders", "Order")
    OrderEmail = apps.get_model("orders", "OrderEmail")
    confirmed = Order.objects.exclude(confirmation_sent_at=None).only("confirmation_sent_at")
    OrderEmail.objects.bulk_create(
        OrderEmail(
            order=order, reason="confirmation", status="sent", sent_at=order.confirmation_sent_at
        )
        for order in confirmed
    )
    refunded = Order.objects.filter(refund_notified_cents__gt=0).only("refund_notified_cents")
    OrderEmail.objects.bulk_create(
        OrderEmail(
            order=order, reason="refund", key=str(order.refund_notified_cents), status="sent"
        )
        for order in refunded
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0007_order_items_keep_variants_and_stock_holds"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrderEmail",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("confirmation", "Order confirmed"),
                            ("refund", "Refund"),
                            ("shipped", "Order shipped"),
                            ("payment_failed", "Payment failed"),
                        ],
                        max_length=32,
                    ),
                ),
                (
                    "key",
                    models.CharField(
                        blank=True,
                        help_text="Tells apart emails of a reason that can repeat: for a refund, the amount refunded so far in cents.",
                        max_length=64,
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting to be sent"),
                            ("sending", "Sending"),
                            ("sent", "Sent"),
                            ("skipped", "Not sent"),
                            ("failed", "Failed"),
                        ],
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("last_error", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("claimed_at", models.DateTimeField(blank=True, null=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                (
                    "order",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="emails",
                        to="orders.order",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("order", "reason", "key"), name="one_email_per_order_reason_and_key"
                    )
                ],
            },
        ),
        migrations.RunPython(record_emails_already_sent, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="order",
            name="confirmation_sent_at",
        ),
        migrations.RemoveField(
            model_name="order",
            name="refund_notified_cents",
        ),
    ]
