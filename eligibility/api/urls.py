"""eligibility's REST API (v1)."""

from . import coverage

urlpatterns = [*coverage.urlpatterns]
