from __future__ import annotations

from django.urls import URLPattern

app_name = "recur-api"

urlpatterns: list[URLPattern] = []
