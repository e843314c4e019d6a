from django.conf import settings
from django.core.checks import Error, register


@register(deploy=True)
def stripe_webhook_secret_configured(app_configs, **kwargs):
    if settings.STRIPE_WEBHOOK_SECRET:
        return []
    return [
        Error(
            "STRIPE_WEBHOOK_SECRET is not set, so every Stripe webhook will be refused.",
            hint="Set it to the signing secret of your webhook endpoint (whsec_...).",
            id="orders.E001",
        )
    ]
