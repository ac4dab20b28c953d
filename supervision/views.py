from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from core.audit_views import object_history
from core.roles import require_role

from .models import Problem
from .roles import SUPERVISORS


def problem_list(request):
    require_role(request.user, *SUPERVISORS)
    qs = Problem.objects.order_by("-raised_at")
    status = request.GET.get("status", "")
    if status:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "supervision/problem_list.html",
                  {"page_obj": page, "status": status, "statuses": Problem.Status.choices})


def problem_detail(request, pk):
    require_role(request.user, *SUPERVISORS)
    problem = get_object_or_404(Problem, pk=pk)
    return render(request, "supervision/problem_detail.html",
                  {"problem": problem, "history": object_history(problem)})
