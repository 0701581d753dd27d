"""A webhook receiver for the emulator tests: records what arrives, answers a set status."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@dataclass
class Received:
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answers to give, in order; then 200

    def reset(self) -> None:
        self.requests.clear()
        self.statuses.clear()


received = Received()


@csrf_exempt
def capture(request: HttpRequest) -> HttpResponse:
    received.requests.append((dict(request.headers), request.body))
    status = received.statuses.pop(0) if received.statuses else 200
    return HttpResponse('{"received": true}', status=status, content_type="application/json")


urlpatterns = [
    path("hooks/capture/", capture, name="capture"),
    path("", include("tests.urls")),
]
