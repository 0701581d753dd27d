"""URLconf of the webhook benchmark: the real endpoint plus the baseline views."""

from django.urls import include, path

from tests.benchmarks.views import baseline, floor, ready, renewal_floor

urlpatterns = [
    path("billing/", include("recur_django.urls")),
    path("bench/baseline/", baseline, name="bench-baseline"),
    path("bench/floor/", floor, name="bench-floor"),
    path("bench/renewal-floor/", renewal_floor, name="bench-renewal-floor"),
    path("bench/ready/", ready, name="bench-ready"),
]
