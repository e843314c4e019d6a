from django.conf import settings
from django.core.checks import Error, register

# Sending one email waits on the mail server several times (connect, greeting, sender,
# recipient, data), each up to EMAIL_TIMEOUT: the lease must outlast a slow server's worst case.
MAIL_SERVER_WAITS_PER_EMAIL = 4


@register(deploy=True)
def task_lease_outlasts_the_mail_server(app_configs, **kwargs):
    timeout = settings.EMAIL_TIMEOUT
    lease = settings.SHOP_TASK_LEASE_SECONDS
    if timeout is not None and timeout * MAIL_SERVER_WAITS_PER_EMAIL <= lease:
        return []
    return [
        Error(
            f"SHOP_TASK_LEASE_SECONDS ({lease}) is too short for EMAIL_TIMEOUT_SECONDS "
            f"({timeout}): an email still being sent to a slow mail server would be taken for "
            "abandoned and sent a second time.",
            hint=f"Make the lease at least {MAIL_SERVER_WAITS_PER_EMAIL} times the email timeout.",
            id="background.E001",
        )
    ]
