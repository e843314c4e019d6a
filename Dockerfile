FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# Production settings refuse to load without their variables; these placeholders only let
# collectstatic run and never reach a running container.
RUN useradd --create-home --uid 1000 shop \
    && SECRET_KEY=build ALLOWED_HOSTS=build SHOP_BASE_URL=https://build \
       STRIPE_SECRET_KEY=sk_test_build STRIPE_WEBHOOK_SECRET=whsec_build \
       python manage.py collectstatic --noinput \
    && mkdir -p /app/media \
    && chown -R shop:shop /app
USER shop

EXPOSE 8000
CMD ["sh", "scripts/docker-entrypoint.sh"]
