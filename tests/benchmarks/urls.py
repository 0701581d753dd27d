"""URLconf of the webhook benchmark: the real endpoint plus the baseline view."""

from django.urls import include, path

from tests.benchmarks.views import baseline, ready

urlpatterns = [
    path("billing/", include("recur_django.urls")),
    path("bench/baseline/", baseline, name="bench-baseline"),
    path("bench/ready/", ready, name="bench-ready"),
]
