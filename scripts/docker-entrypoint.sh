#!/bin/sh
# Migrate, seed only an empty database, then serve with gunicorn.
set -e
python manage.py migrate --noinput
if python manage.py shell -c "from products.models import Product; import sys; sys.exit(0 if Product.objects.exists() else 1)"; then
    echo "Database already has products; not seeding."
else
    python manage.py seed_shop
fi
exec gunicorn config.wsgi:application --bind 0.0.0.0:8000 --workers "${WEB_CONCURRENCY:-3}" --access-logfile -
