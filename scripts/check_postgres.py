"""Fail loudly, before any test runs, when the test database server does not answer."""

import os
import sys

import psycopg2

url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
try:
    psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=5).close()
except psycopg2.OperationalError as error:
    sys.exit(f"PostgreSQL is not reachable at {url}: {error}")
print(f"PostgreSQL answers at {url.rsplit('@', 1)[-1]}")
