"""Page-number pagination sized by ``RECUR["API_PAGE_SIZE"]``."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from recur_django.conf import recur_settings


class RecurPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int | None:
        try:
            self.page_size = max(1, int(recur_settings.get("API_PAGE_SIZE", 20)))
        except (TypeError, ValueError):
            self.page_size = 20
        return super().get_page_size(request)
