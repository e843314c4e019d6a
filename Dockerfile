FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN useradd --create-home --uid 1000 shop \
    && SECRET_KEY=build ALLOWED_HOSTS=build STRIPE_SECRET_KEY=sk_test_build \
       STRIPE_WEBHOOK_SECRET=whsec_build python manage.py collectstatic --noinput \
    && chown -R shop:shop /app
USER shop

EXPOSE 8000
CMD ["sh", "scripts/docker-entrypoint.sh"]
