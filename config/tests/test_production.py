"""config.settings.production, loaded in its own process exactly as a server would load it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

DOCUMENTED_VARIABLES = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "q7Vd2-LrX9mKp4sWz8Tb3NfYc6HjA1eGu5RoIkQ0vBnMxEtZlCaPy",
    "ALLOWED_HOSTS": "shop.example.com",
    "SHOP_BASE_URL": "https://shop.example.com",
    "STRIPE_SECRET_KEY": "sk_live_documented",
    "STRIPE_WEBHOOK_SECRET": "whsec_documented",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    # Set, though empty, so that a developer's .env cannot fill them in.
    "STRIPE_API_BASE": "",
    "REDIS_URL": "",
    "AWS_STORAGE_BUCKET_NAME": "",
    "SECURE_SSL_REDIRECT": "true",
}


def run_production(*args: str, **variables: str) -> subprocess.CompletedProcess:
    environment = {"PATH": os.environ["PATH"], **DOCUMENTED_VARIABLES, **variables}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_settings(*names: str, **variables: str) -> dict:
    code = (
        "import json\n"
        "from config.settings import production\n"
        f"print(json.dumps({{name: getattr(production, name) for name in {names!r}}}, default=str))"
    )
    result = run_production("-c", code, **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def refusal(**variables: str) -> str:
    result = run_production("-c", "import config.settings.production", **variables)
    assert result.returncode != 0, "production settings loaded but should have refused"
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: ")
    return last_line


def test_deploy_check_reports_nothing_with_the_documented_variables():
    result = run_production("manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    "name",
    ["SECRET_KEY", "ALLOWED_HOSTS", "SHOP_BASE_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"],
)
def test_production_will_not_start_without_a_required_variable(name):
    message = refusal(**{name: ""})

    assert "cannot start in production without" in message
    assert name in message


def test_public_address_comes_from_shop_base_url_and_serves_the_admin_too():
    values = production_settings(
        "SHOP_BASE_URL", "WAGTAILADMIN_BASE_URL", SHOP_BASE_URL="https://shop.example.com/"
    )

    assert values == {
        "SHOP_BASE_URL": "https://shop.example.com",
        "WAGTAILADMIN_BASE_URL": "https://shop.example.com",
    }


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("shop.example.com", "scheme and host only"),
        ("https://shop.example.com/shop/", "scheme and host only"),
        ("https://shop.example.com/?ref=1", "leave out ? and #"),
        ("http://shop.example.com", "redirects plain HTTP to HTTPS"),
        ("https://elsewhere.example.com", "not in ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_a_shop_base_url_it_cannot_send_shoppers_back_to(value, complaint):
    message = refusal(SHOP_BASE_URL=value)

    assert "SHOP_BASE_URL" in message
    assert complaint in message


def test_a_live_key_is_never_sent_to_the_emulator():
    message = refusal(STRIPE_SECRET_KEY="sk_live_real", STRIPE_API_BASE="http://127.0.0.1:12111")

    assert "STRIPE_SECRET_KEY is a live key" in message
    assert "http://127.0.0.1:12111" in message


def test_production_talks_to_no_stripe_but_stripe():
    message = refusal(STRIPE_SECRET_KEY="sk_test_real", STRIPE_API_BASE="http://stripe-mock:12111")

    assert "production talks only to https://api.stripe.com" in message


def test_stripe_api_base_may_name_stripe_itself():
    values = production_settings("STRIPE_API_BASE", STRIPE_API_BASE="https://api.stripe.com/")

    assert values == {"STRIPE_API_BASE": "https://api.stripe.com"}


def test_cookies_are_secure_and_https_is_enforced_behind_the_proxy():
    values = production_settings(
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS",
        "SECURE_REFERRER_POLICY",
    )

    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_REFERRER_POLICY": "strict-origin-when-cross-origin",
    }


def test_static_files_are_compressed_and_fingerprinted():
    values = production_settings("STORAGES")

    assert values["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_with_redis_every_app_server_shares_cache_and_sessions():
    values = production_settings(
        "CACHES", "SESSION_ENGINE", REDIS_URL="redis://cache.internal:6379/0"
    )

    assert values["CACHES"]["default"]["BACKEND"] == "config.cache.FailSoftRedisCache"
    assert values["CACHES"]["default"]["LOCATION"] == "redis://cache.internal:6379/0"
    assert values["CACHES"]["default"]["OPTIONS"]["SOCKET_TIMEOUT"] < 1
    assert values["CACHES"]["default"]["OPTIONS"]["SOCKET_CONNECT_TIMEOUT"] < 1
    assert values["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"


def test_without_redis_sessions_stay_in_the_database():
    values = production_settings("SESSION_ENGINE")

    assert values["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"


def test_a_bucket_name_puts_media_on_s3_with_plain_public_urls():
    values = production_settings(
        "STORAGES",
        AWS_STORAGE_BUCKET_NAME="shop-media",
        AWS_S3_REGION_NAME="eu-west-1",
        AWS_S3_CUSTOM_DOMAIN="media.example.com",
    )

    media = values["STORAGES"]["default"]
    assert media["BACKEND"] == "storages.backends.s3.S3Storage"
    assert media["OPTIONS"]["bucket_name"] == "shop-media"
    assert media["OPTIONS"]["region_name"] == "eu-west-1"
    assert media["OPTIONS"]["custom_domain"] == "media.example.com"
    assert media["OPTIONS"]["querystring_auth"] is False
    assert media["OPTIONS"]["file_overwrite"] is False


def test_production_logs_are_json_lines_on_stdout():
    values = production_settings("LOGGING")

    handler = values["LOGGING"]["handlers"]["console"]
    assert handler["stream"] == "ext://sys.stdout"
    assert values["LOGGING"]["formatters"][handler["formatter"]] == {
        "()": "config.logging.JsonFormatter"
    }


BEHIND_THE_PROXY = """
import json

import django

django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

# collectstatic has not run in a test checkout, so pages cannot name fingerprinted files.
override_settings(
    STORAGES={**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }}
).enable()
https = Client(HTTP_HOST="shop.example.com", HTTP_X_FORWARDED_PROTO="https")
http = Client(HTTP_HOST="shop.example.com")
answers = {
    "webhook over https": https.post("/webhook/", b"{}", content_type="application/json"),
    "webhook over http": http.post("/webhook/", b"{}", content_type="application/json"),
    "healthz over http": http.get("/healthz"),
    "cart over http": http.get("/cart/"),
    "cart over https": https.get("/cart/"),
}
print(json.dumps({
    name: {"status": answer.status_code, "headers": dict(answer.headers)}
    for name, answer in answers.items()
}))
"""


@pytest.fixture(scope="module")
def answers_behind_the_proxy(django_db_setup):
    """Requests to one production process whose database is the test database."""
    database = connection.settings_dict
    url = "postgres://{USER}:{PASSWORD}@{HOST}:{PORT}/{NAME}".format(
        **{key: database[key] or "" for key in ("USER", "PASSWORD", "HOST", "PORT", "NAME")}
    )
    result = run_production("-c", BEHIND_THE_PROXY, DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
def test_stripe_webhook_is_answered_not_redirected_behind_a_tls_proxy(answers_behind_the_proxy):
    answer = answers_behind_the_proxy["webhook over https"]

    # 400: the empty test body has no valid signature; the point is that the view answered.
    assert answer["status"] == 400
    assert "Location" not in answer["headers"]


@pytest.mark.django_db
def test_stripe_cli_forwarding_plain_http_reaches_the_webhook(answers_behind_the_proxy):
    answer = answers_behind_the_proxy["webhook over http"]

    assert answer["status"] == 400
    assert "Location" not in answer["headers"]


@pytest.mark.django_db
def test_health_checks_over_plain_http_are_answered(answers_behind_the_proxy):
    assert answers_behind_the_proxy["healthz over http"]["status"] == 200


@pytest.mark.django_db
def test_shoppers_on_plain_http_are_sent_to_https(answers_behind_the_proxy):
    answer = answers_behind_the_proxy["cart over http"]

    assert answer["status"] == 301
    assert answer["headers"]["Location"] == "https://shop.example.com/cart/"


@pytest.mark.django_db
def test_https_pages_carry_hsts_referrer_policy_and_csp(answers_behind_the_proxy):
    headers = answers_behind_the_proxy["cart over https"]["headers"]

    assert answers_behind_the_proxy["cart over https"]["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "script-src 'self';" in headers["Content-Security-Policy"]
