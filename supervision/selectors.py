from .models import Problem


def open_problems():
    return Problem.objects.exclude(status=Problem.Status.CLOSED)
