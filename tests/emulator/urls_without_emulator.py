"""A project that forgot the emulator's URLs."""

from django.urls import include, path

urlpatterns = [path("billing/", include("recur_django.urls"))]
