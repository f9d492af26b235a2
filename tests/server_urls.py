"""Views that enqueue a job, as a project's views do, for real servers (gunicorn, uvicorn) in
tests/test_servers_engine.py."""

from __future__ import annotations

import os

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path

from tests.testapp import tasks


def enqueue(request: HttpRequest) -> JsonResponse:
    with transaction.atomic():
        run = tasks.write_note.delay(request.GET["text"])
    return JsonResponse({"id": run.id, "pid": os.getpid(), "status": str(run.known_status)})


async def aenqueue(request: HttpRequest) -> JsonResponse:
    run = await tasks.write_note.adelay(request.GET["text"])
    return JsonResponse({"id": run.id, "pid": os.getpid(), "status": str(run.known_status)})


urlpatterns = [path("enqueue", enqueue), path("aenqueue", aenqueue)]
