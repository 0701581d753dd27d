"""Pages of the recipe: one guarded view, a template with the tags, a DRF view."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from recur_django.api.permissions import HasEntitlement
from recur_django.views.guards import subscription_required


@subscription_required("pro-monthly", "pro-yearly")
def reports(request: HttpRequest) -> HttpResponse:
    return HttpResponse("team reports")


def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "teams/dashboard.html")


class ReportsAPI(APIView):
    permission_classes = [HasEntitlement.for_product("pro-monthly", "pro-yearly")]

    def get(self, request: Request) -> Response:
        return Response({"reports": []})
