from __future__ import annotations

from django.urls import URLPattern

app_name = "recur_emulator"

urlpatterns: list[URLPattern] = []
