"""The floor views (settings in bench.floor_settings)."""

from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from .floor_settings import TABLE


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
def durable_write(request):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (body) VALUES (%s)", [request.body.decode()])
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("floor/bare/", bare), path("floor/durable-write/", durable_write)]
