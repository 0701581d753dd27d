"""URLconf of the webhook benchmark: the real endpoint plus the two baseline views."""

from django.urls import include, path

from tests.benchmarks.views import baseline, floor, ready

urlpatterns = [
    path("billing/", include("recur_django.urls")),
    path("bench/baseline/", baseline, name="bench-baseline"),
    path("bench/floor/", floor, name="bench-floor"),
    path("bench/ready/", ready, name="bench-ready"),
]
