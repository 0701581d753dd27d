from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("billing/", include("recur_django.urls")),
    path("api/billing/", include("recur_django.api.urls")),
    path("_recur/", include("recur_django.emulator.urls")),
]
