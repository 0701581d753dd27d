from django.http import HttpRequest, HttpResponse
from django.views import View


class PortalView(View):
    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        return HttpResponse("Not implemented yet", status=501)
