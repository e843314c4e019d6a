#!/bin/sh
# Migrate and seed only an empty database, then serve with gunicorn (config/gunicorn.conf.py).
# Further app servers of the same database set RUN_MIGRATIONS=false: two servers migrating
# at once would race.
set -e
if [ "${RUN_MIGRATIONS:-true}" = "true" ]; then
    python manage.py migrate --noinput
    if python manage.py shell -c "from products.models import Product; import sys; sys.exit(0 if Product.objects.exists() else 1)"; then
        echo "Database already has products; not seeding."
    else
        python manage.py seed_shop
    fi
fi
exec gunicorn -c config/gunicorn.conf.py
