from django.core.checks import run_checks


def deploy_errors() -> list[str]:
    return [message.id for message in run_checks(include_deployment_checks=True)]


def test_a_lease_shorter_than_a_slow_mail_server_is_refused_at_deploy(settings):
    settings.EMAIL_TIMEOUT = 300
    settings.SHOP_TASK_LEASE_SECONDS = 600

    assert "background.E001" in deploy_errors()


def test_the_default_lease_outlasts_the_default_mail_timeout(settings):
    assert (settings.EMAIL_TIMEOUT, settings.SHOP_TASK_LEASE_SECONDS) == (30, 600)

    assert "background.E001" not in deploy_errors()
