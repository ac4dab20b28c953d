"""The run list's trend chart: open discrepancies by kind over the last runs, as inline SVG.

Drawn on the server (no JavaScript library, no CDN): this computes the geometry, the template
_trend_chart.html writes the <svg> with a <title>, a <desc> and, beside it, the same numbers in a
table. Each kind has its own colour and dash pattern and marker, so the lines differ without colour.
"""

import math

from django.utils.translation import gettext as _

from ..models import Discrepancy

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 14, 34
MAX_X_LABELS = 8
STYLE = {  # kind: (colour, stroke-dasharray)
    Discrepancy.Kind.MISSING_LOCAL: ("#0b5cad", ""),
    Discrepancy.Kind.MISSING_AGENCY: ("#b42318", "7 4"),
    Discrepancy.Kind.FIELD_MISMATCH: ("#a86400", "2 3"),
    Discrepancy.Kind.INVALID_ROW: ("#1d7a46", "10 3 2 3"),
}


def nice_step(value: float) -> int:
    """The gridline step: 1, 2 or 5 times a power of ten, at least `value` (and at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return int(step * power)
    return int(10 * power)


def trend_chart(runs) -> dict | None:
    """Geometry for runs (oldest first, each with .run_date and .counts); None without runs."""
    runs = list(runs)
    if not runs:
        return None
    counts = [{kind: int((run.counts or {}).get(kind, 0)) for kind in STYLE} for run in runs]
    step = nice_step(max(max(c.values()) for c in counts) / 4)
    top = step * 4
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return round(LEFT + (plot_w * i / (len(runs) - 1) if len(runs) > 1 else plot_w / 2), 1)

    def y(v: int) -> float:
        return round(TOP + plot_h * (1 - v / top), 1)

    series = []
    for kind, (colour, dash) in STYLE.items():
        points = [(x(i), y(c[kind]), c[kind], runs[i].run_date) for i, c in enumerate(counts)]
        series.append({
            "kind": kind, "label": Discrepancy.Kind(kind).label, "colour": colour, "dash": dash,
            "points": " ".join(f"{px},{py}" for px, py, _v, _d in points), "dots": points, "latest": counts[-1][kind],
        })
    every = max(1, math.ceil(len(runs) / MAX_X_LABELS))
    first, last = runs[0].run_date.isoformat(), runs[-1].run_date.isoformat()
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP, "bottom": HEIGHT - BOTTOM,
        "series": series,
        "y_ticks": [{"value": step * k, "y": y(step * k)} for k in range(5)],
        "x_labels": [{"x": x(i), "label": run.run_date.strftime("%m-%d")} for i, run in enumerate(runs)
                     if i % every == 0 or i == len(runs) - 1],
        "title": _("Open discrepancies by kind, last %(n)d runs") % {"n": len(runs)},
        "desc": _("From %(first)s to %(last)s. After the latest run: %(latest)s.") % {
            "first": first, "last": last,
            "latest": ", ".join(f"{s['label']} {s['latest']}" for s in series)},
        "table": [{"date": run.run_date, "counts": [c[kind] for kind in STYLE]} for run, c in zip(runs, counts,
                                                                                                  strict=True)],
    }
