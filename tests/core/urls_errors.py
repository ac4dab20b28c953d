"""The site's URLs plus a page and an endpoint that fail, for the 500 tests (pytest.mark.urls)."""

from django.urls import path
from rest_framework.views import APIView

from config import urls as site


def broken_page(request):
    raise RuntimeError("a bug in a page")


class BrokenEndpoint(APIView):
    def get(self, request):
        raise RuntimeError("a bug in an endpoint")


urlpatterns = [
    path("broken/", broken_page),
    path("api/v1/broken/", BrokenEndpoint.as_view()),
    *site.urlpatterns,
]
handler400, handler403, handler404, handler500 = site.handler400, site.handler403, site.handler404, site.handler500
