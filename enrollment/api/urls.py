"""enrollment's REST API (v1). One module of routes per area, combined here."""

from . import applications, register

urlpatterns = [*applications.urlpatterns, *register.urlpatterns]
