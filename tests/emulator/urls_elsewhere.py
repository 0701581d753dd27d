"""A project that mounts the emulator somewhere else than ``/_recur/``."""

from django.urls import include, path

urlpatterns = [
    path("billing/", include("recur_django.urls")),
    path("sandbox/recur/", include("recur_django.emulator.urls")),
]
