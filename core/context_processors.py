from django.conf import settings
from django.urls import NoReverseMatch, reverse

from .registry import navigation as nav_entries
from .roles import Role, has_role, roles_of


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles": [], "office_name": settings.OFFICE_NAME}
    items = []
    for entry in nav_entries():  # each app's menu entries (core.registry)
        if entry.roles is not None and not has_role(user, *entry.roles):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": entry.label, "url": url, "active": False})
    # The current page is the entry with the longest URL that the path starts with.
    matching = [i for i in items if request.path == i["url"] or (i["url"] != "/" and request.path.startswith(i["url"]))]
    if matching:
        max(matching, key=lambda i: len(i["url"]))["active"] = True
    role_labels = [str(Role(r).label) for r in sorted(roles_of(user)) if r in Role.values]
    return {"nav_items": items, "user_roles": role_labels, "office_name": settings.OFFICE_NAME}
