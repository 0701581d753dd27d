"""URLs of the example shop."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # recur-django: checkout, return page, portal and the webhook endpoint ...
    path("billing/", include("recur_django.urls")),
    # ... and its REST API for single-page and mobile front ends.
    path("api/billing/", include("recur_django.api.urls")),
    # The Recur emulator stands in for api.recur.tw in development. Safe to include always:
    # it answers 404 unless DEBUG (or RECUR_EMULATOR["ENABLED"]) is True.
    path("_recur/", include("recur_django.emulator.urls")),
    path("", include("example_project.shop.urls")),
]
