"""The letters of a registration application: the one-time notice of missing materials
(一次性告知书), the approval notice (its lines are the kind's, from enrollment.kinds, and the
persons it concerns) and the decision not to register (with how to appeal).

Each greets the employer or the applicant (the kind's `addressee`) and names the case by its case
number (案件编号) alone; the base (core.letters) signs, dates, seals and adds the service window.
Dates are written as letters write them (long_date) and times in office time. User text goes
through `esc` (reportlab paragraphs are a markup language); identity numbers are masked on paper too.
"""

from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from core.letters import Letter, esc, long_date, styles, table
from core.masking import mask_id_number

from . import materials
from .kinds import spec_for
from .models import Application, Material


def _case_facts(app: Application) -> list:
    rows = [
        (_("Case number"), app.number),
        (_("Application"), app.get_kind_display()),
        (_("Applicant"), app.applicant_name),
    ]
    spec = spec_for(app.kind)
    employer = f"{app.employer.name} ({app.employer.uscc})" if app.employer_id else spec.named_employer(app)
    if employer:
        rows.append((_("Employer"), employer))
    person = f"{app.person.name} ({mask_id_number(app.person.id_number)})" if app.person_id else spec.named_person(app)
    if person:
        rows.append((_("Insured person"), person))
    if app.submitted_at:
        rows.append((_("Received on"), long_date(app.submitted_at)))
    s = styles()["body"]
    return [Paragraph(f"{esc(str(label))}: {esc(str(value))}", s) for label, value in rows] + [Spacer(1, 4 * mm)]


def _persons(app: Application) -> list:
    """The persons the case concerns, each with a masked identity number (approval letter)."""
    persons = spec_for(app.kind).persons_concerned(app)
    if not persons:
        return []
    rows = [[_("No."), _("Name"), _("Identity number")]]
    rows += [[str(n), esc(name), esc(mask_id_number(number))] for n, (name, number) in enumerate(persons, start=1)]
    return [Paragraph(esc(_("The persons this decision concerns")), styles()["heading"]),
            table(rows, col_widths=[14 * mm, 60 * mm, 60 * mm])]


class ApplicationLetter(Letter):
    def __init__(self, application: Application):
        super().__init__(subject_name=application.applicant_name)
        self.app = application

    def addressee(self) -> str:
        return spec_for(self.app.kind).addressee(self.app)


class OneTimeNotice(ApplicationLetter):
    """Lists every missing or invalid item at once, what to bring, and the deadline."""

    kind = "enrollment.one_time_notice"
    number_prefix = "GZ"

    def __init__(self, application: Application, items: list[Material]):
        super().__init__(application)
        self.items = items

    def title(self) -> str:
        return _("One-time notice of missing materials")

    def body(self) -> list:
        s = styles()
        rows = [[_("No."), _("Material"), _("Finding"), _("What to bring")]]
        for n, item in enumerate(self.items, start=1):
            finding = _("Missing") if item.state == Material.State.MISSING else _("Not valid: %(why)s") % {
                "why": item.note}
            rows.append([str(n), esc(materials.material_label(item.code)), esc(finding),
                         esc(materials.what_to_bring(item.code))])
        deadline = self.app.notice_deadline
        return [
            *_case_facts(self.app),
            Paragraph(esc(_("We have checked the materials of your application. To go on with it, we need every "
                            "item below; this notice lists all of them at once, and nothing else will be asked for "
                            "these materials.")), s["body"]),
            Spacer(1, 3 * mm),
            table(rows, col_widths=[12 * mm, 50 * mm, 38 * mm, 70 * mm]),
            Spacer(1, 4 * mm),
            Paragraph(esc(_("Please bring them to the service window by %(deadline)s and quote the case number "
                            "%(number)s.") % {"deadline": long_date(deadline) if deadline else "",
                                              "number": self.app.number}), s["body"]),
            Paragraph(esc(_("The time limit for your case (%(days)d working days) starts again on the day "
                            "everything is in.") % {"days": materials.time_limit(self.app.kind)}), s["body"]),
        ]


class ApprovalLetter(ApplicationLetter):
    """What the approval changes in the register, in the words of the kind's declaration."""

    kind = "enrollment.approval"
    number_prefix = "HZ"

    def title(self) -> str:
        return _("Notice of approval of registration")

    def body(self) -> list:
        s = styles()["body"]
        out = [*_case_facts(self.app), Paragraph(esc(_("After review, your application is approved:")), s)]
        out += [Paragraph(esc(f"• {line}"), s) for line in spec_for(self.app.kind).outcome_lines(self.app)]
        if self.app.decision_note:
            out.append(Paragraph(esc(_("Note: %(note)s") % {"note": self.app.decision_note}), s))
        return [*out, *_persons(self.app)]


class RejectionLetter(ApplicationLetter):
    kind = "enrollment.rejection"
    number_prefix = "BY"

    def title(self) -> str:
        return _("Decision not to register")

    def body(self) -> list:
        s = styles()
        out = [*_case_facts(self.app),
               Paragraph(esc(_("After review, your application cannot be approved, for these reasons:")), s["body"])]
        for n, code in enumerate(self.app.decision_reasons, start=1):
            out.append(Paragraph(esc(f"{n}. {materials.REJECTION_REASONS.get(code, code)}"), s["body"]))
        if self.app.decision_note:
            out.append(Paragraph(esc(_("Explanation: %(note)s") % {"note": self.app.decision_note}), s["body"]))
        out += [
            Paragraph(esc(_("How to appeal")), s["heading"]),
            Paragraph(esc(_("If you disagree with this decision, you may apply for administrative reconsideration "
                            "within 60 days of receiving it, or bring an administrative lawsuit before the people's "
                            "court within 6 months, according to law. You may also file an objection with this "
                            "office and quote the case number %(number)s.") % {"number": self.app.number}), s["body"]),
        ]
        return out
