"""enrollment's pages: URL names enrollment:<object>_<action>. One module per area."""

from . import applications, reconciliation, register

app_name = "enrollment"
urlpatterns = [*applications.urlpatterns, *register.urlpatterns, *reconciliation.urlpatterns]
