from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .roles import ENROLLMENT_STAFF, Role, has_role, roles_of

# (label, URL name, roles that see it). Later apps add their entries here.
NAVIGATION = [
    (_("Home"), "home", None),
    (_("Applications"), "enrollment:application_list", ENROLLMENT_STAFF),
    (_("New application"), "enrollment:application_create", (Role.CLERK, Role.ADMIN)),
    (_("Persons"), "enrollment:person_search", ENROLLMENT_STAFF),
    (_("Employers"), "enrollment:employer_list", ENROLLMENT_STAFF),
    (_("Reconciliation"), "enrollment:run_list", ENROLLMENT_STAFF),
    (_("Discrepancies"), "enrollment:discrepancy_list", ENROLLMENT_STAFF),
    (_("Problem ledger"), "supervision:problem_list", (Role.SUPERVISOR, Role.ADMIN)),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles": [], "office_name": settings.OFFICE_NAME}
    items = []
    for label, name, roles in NAVIGATION:
        if roles is not None and not has_role(user, *roles):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": False})
    # The current page is the entry with the longest URL that the path starts with.
    matching = [i for i in items if request.path == i["url"] or (i["url"] != "/" and request.path.startswith(i["url"]))]
    if matching:
        max(matching, key=lambda i: len(i["url"]))["active"] = True
    role_labels = [str(Role(r).label) for r in sorted(roles_of(user)) if r in Role.values]
    return {"nav_items": items, "user_roles": role_labels, "office_name": settings.OFFICE_NAME}
