from django.http import HttpResponse

from core.roles import ENROLLMENT_STAFF, require_role


def _placeholder(request):
    require_role(request.user, *ENROLLMENT_STAFF)
    return HttpResponse("")


run_list = discrepancy_list = _placeholder
