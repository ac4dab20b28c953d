"""Reads of the register: persons, their status on a date, search, employers and their staff.

Functions that take `user` check it (enrollment.permissions) before reading, so the page, the API
and an export that share a selector share its access check.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, OrderBy, OuterRef, Q, Subquery
from django.db.models.functions import Right
from django.utils.translation import gettext as _

from core.masking import mask_id_number
from core.timeline import object_timeline

from ..identity import IdentityError, check_id_number
from ..models import Application, Discrepancy, Employer, Person, StatusChange
from ..permissions import access_register, can_reveal_id_number

__all__ = [
    "PersonQuery", "employer_staff", "employers_visible_to", "parse_person_query",
    "person_overview", "persons_with_status_on", "search_employers", "search_persons", "staff_counts", "status_history",
    "status_on",
]

# Columns a list of persons shows: enough for the search results, the staff list and their exports.
PERSON_LIST_FIELDS = ("id", "id_number", "name", "gender", "birth_date", "insurance_type", "employer_code",
                      "status", "status_date")


def status_on(person: Person, on: date) -> str | None:
    """The status in force on a date: the latest change that took effect on or before it.

    None when the person's first known status took effect after the date (not insured then).
    """
    return (
        StatusChange.objects.filter(person=person, status_date__lte=on)
        .order_by("-status_date", "-id").values_list("status", flat=True).first()
    )


def persons_with_status_on(on: date):
    """Persons annotated with `status_on` for a date, in one query (set-based, for other apps' rules)."""
    latest = (
        StatusChange.objects.filter(person=OuterRef("pk"), status_date__lte=on)
        .order_by("-status_date", "-id").values("status")[:1]
    )
    return Person.objects.annotate(status_on=Subquery(latest))


# --- Person search ---------------------------------------------------------------------------------

_ID_PREFIX = re.compile(r"^[0-9]{1,17}[0-9X]?$")
_LAST_FOUR = re.compile(r"^[0-9]{3}[0-9X]$")
_INITIALS = re.compile(r"^[a-z]{1,50}$")
# A number at the start or the end of the text, with a name or initials on the other side: 王 1234, 1234王芳.
_NUMBER_AND_NAME = re.compile(
    r"^(?:(?P<lead>[0-9]+[Xx]?)(?P<after>[^0-9]+)|(?P<before>[^0-9]+?)(?P<trail>[0-9]+[Xx]?))$")
_CJK = "\u3400-\u9fff\uf900-\ufaff"
_SPACE_IN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
SHOWN_ID_DIGITS = 4  # the masked number shows its first and last four characters
ID_LENGTH = 18
NAME_LENGTH = 50


@dataclass(frozen=True)
class PersonQuery:
    """What the search box was given.

    kind is 'id_number' (a whole number or its first digits), 'last_four' (the last four characters,
    then numbers that start with them), 'name' (any part of the name) or 'initials' (pinyin initials).
    With a number, `name` or `initials` narrows it: 王 1234, 1234 王芳, zs 1234.
    """

    kind: str
    value: str
    name: str = ""
    initials: str = ""


def _name_part(text: str) -> str | None:
    """A part of a name as typed: spaces between Chinese characters dropped (王 芳 is 王芳)."""
    text = _SPACE_IN_CJK.sub("", text.strip())
    if not text or len(text) > NAME_LENGTH or any(ch.isdigit() for ch in text):
        return None  # no name is this long or has digits: nothing can match
    return text


def parse_person_query(text: str) -> PersonQuery | None:
    """Tell what the search box was given (PersonQuery), or None when nothing can match.

    Digits (and a final X): four of them are the last four characters of the number, otherwise the
    whole number or its first digits. Latin letters are pinyin initials; anything else is a part of
    a name. Four characters or the whole number may come with a name or initials: 王 1234, 1234王芳.
    """
    text = (text or "").strip()
    compact = re.sub(r"\s+", "", text)
    if not compact:
        return None
    upper = compact.upper()
    if _ID_PREFIX.match(upper):
        return PersonQuery("last_four" if _LAST_FOUR.match(upper) else "id_number", upper)
    if _INITIALS.match(compact.lower()):
        return PersonQuery("initials", compact.lower())
    both = _NUMBER_AND_NAME.match(text)
    if both:
        number = (both.group("lead") or both.group("trail")).upper()
        if len(number) not in (SHOWN_ID_DIGITS, ID_LENGTH) or not _ID_PREFIX.match(number):
            return None  # with a name: the last four characters or the whole number
        kind = "last_four" if len(number) == SHOWN_ID_DIGITS else "id_number"
        other = both.group("after") or both.group("before")
        if _INITIALS.match(re.sub(r"\s+", "", other).lower()):
            return PersonQuery(kind, number, initials=re.sub(r"\s+", "", other).lower())
        name = _name_part(other)
        return PersonQuery(kind, number, name=name) if name else None
    if any(ch.isdigit() for ch in text):
        return None  # digits inside a name: nothing can match
    name = _name_part(text)
    return PersonQuery("name", name) if name else None


class PatternOrder(OrderBy):
    """ORDER BY col USING ~<~: the order of a varchar_pattern_ops index.

    The person search indexes (Person.Meta) use varchar_pattern_ops so that LIKE 'prefix%' is an
    index range whatever the database's collation; ordering by the same operator lets PostgreSQL
    read a page straight off that index and stop after it (no sort of every match). The comment is
    for Django's compiler, which finds each ORDER BY term's expression by looking for ASC or DESC.
    """

    template = "%(expression)s USING ~<~ /* ASC */"

    def __init__(self, field: str):
        super().__init__(F(field))


def grams_of(text: str) -> list[str]:
    """The grams a text's occurrence needs in enrollment_grams(...): itself when it is one or two
    characters long, else each pair of adjacent characters (the text itself is checked after)."""
    if len(text) <= 2:
        return [text]
    return sorted({text[i:i + 2] for i in range(len(text) - 1)})


class Tiers(Sequence):
    """Search results as ordered querysets read one after the other (best matches first): the names
    that start with the text, then those that have it further on. Slicing reads a page with one query
    per tier it reaches, each on its own index and in its own order; iterating streams every match.
    """

    def __init__(self, *querysets):
        self.querysets = querysets

    def __len__(self):  # Sequence's contract; pages never need it (peek_page slices)
        return sum(qs.count() for qs in self.querysets)

    def __iter__(self):
        for qs in self.querysets:
            yield from qs

    def iterator(self, chunk_size: int = 2000):
        for qs in self.querysets:
            yield from qs.iterator(chunk_size=chunk_size)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            rows = self[index:index + 1]
            if not rows:
                raise IndexError(index)
            return rows[0]
        start, stop = index.start or 0, index.stop
        if start < 0 or (stop is not None and stop < start) or index.step not in (None, 1):
            raise ValueError("Tiers take plain slices only.")
        rows: list = []
        skip = start  # rows of the earlier tiers still to skip
        for qs in self.querysets:
            wanted = None if stop is None else stop - start - len(rows)
            if wanted == 0:
                break
            found = list(qs[skip:] if wanted is None else qs[skip:skip + wanted])
            rows.extend(found)
            if found:
                skip = 0
            elif skip:  # this tier ended before the slice began: skip what it holds
                skip -= qs.count()
        return rows

    def explain(self) -> str:
        return "\n".join(qs[:51].explain() for qs in self.querysets)


def _narrowed(queryset, query: PersonQuery):
    if query.name:
        queryset = queryset.filter(name__contains=query.name)
    if query.initials:
        queryset = queryset.filter(name_initials__startswith=query.initials)
    return queryset


def person_search_queryset(query: PersonQuery | None) -> Tiers:
    """The persons a query matches, best first: each tier one index range or one GIN lookup, read a
    page at a time in its index's order (never a sort of every match, e.g. of 70,000 王s).

    Not access-checked: callers go through search_persons().
    """
    persons = Person.objects.only(*PERSON_LIST_FIELDS)
    if query is None:
        return Tiers()
    if query.kind == "name":
        text = query.value
        starting = persons.filter(name__startswith=text).order_by(PatternOrder("name"), "id")
        further = persons.filter(name_grams__contains=grams_of(text)).exclude(name__startswith=text)
        if len(text) > 2:
            further = further.filter(name__contains=text)
        # In the order of registration (the table's own order): a common character (英, in 4 % of names)
        # reads a page off the primary key in a few hundred rows, a rare one sorts its few matches. In
        # name order PostgreSQL would walk the name index and fetch rows all over the table.
        return Tiers(starting, further.order_by("id"))
    if query.kind == "initials":
        return Tiers(persons.filter(name_initials__startswith=query.value)
                     .order_by(PatternOrder("name_initials"), PatternOrder("name"), "id"))
    by_number = PatternOrder("id_number")
    if query.kind == "last_four":
        last_four = _narrowed(persons.alias(last_four=Right("id_number", SHOWN_ID_DIGITS))
                              .filter(last_four=query.value), query).order_by("last_four", "name", "id")
        if query.name or query.initials:
            return Tiers(last_four)
        starting = (persons.filter(id_number__startswith=query.value)
                    .exclude(id_number__endswith=query.value).order_by(by_number, "id"))
        return Tiers(last_four, starting)
    return Tiers(_narrowed(persons.filter(id_number__startswith=query.value), query).order_by(by_number, "id"))


def partial_number_hidden(user, query: PersonQuery | None) -> bool:
    """A partial identity number longer than what the mask shows would let someone without the
    permission to see full numbers work out the hidden digits one at a time: it must be whole."""
    return (query is not None and query.kind == "id_number" and SHOWN_ID_DIGITS < len(query.value) < ID_LENGTH
            and not can_reveal_id_number(user))


def search_persons(*, user, query: str) -> Tiers:
    """Persons matching the search box's text, for a user who may read the register.

    Without the permission to see full numbers, an identity number is searched whole (or by the
    four digits the mask shows anyway), never by a longer prefix.
    """
    access_register(user)
    parsed = parse_person_query(query)
    if partial_number_hidden(user, parsed):
        return Tiers()
    return person_search_queryset(parsed)


# --- A person's page ---------------------------------------------------------------------------------

_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def mask_numbers_in(value):
    """Audit values may quote identity numbers (a change, an agency row): mask those that check out."""
    if isinstance(value, str):
        def mask(match):
            try:
                return mask_id_number(check_id_number(match.group(0)))
            except IdentityError:
                return match.group(0)
        return _ID_IN_TEXT.sub(mask, value)
    if isinstance(value, dict):
        return {k: mask_numbers_in(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_numbers_in(v) for v in value]
    return value


def masked_history(obj, limit: int = 200) -> list[dict]:
    """An object's history in sentences (core.timeline), identity numbers masked, for pages: a fixed
    number of queries however long it is. enrollment's AuditText masks the entries before they are
    worded; the sentences are masked again here, so no page shows a full number whatever it quotes."""
    return [{**item, "text": mask_numbers_in(item["text"]), "note": mask_numbers_in(item["note"])}
            for item in object_timeline(obj, limit)]


def reference_text(reference: str) -> str:
    """A status change's reference in words: a case number stays, "discrepancy:12" reads as
    "比对不一致 #12", the demo data's marker as what it is."""
    reference = (reference or "").strip()
    if reference.startswith("discrepancy:"):
        return _("discrepancy #%(id)s") % {"id": reference.split(":", 1)[1]}
    if reference == "seed_demo":
        return str(_("demo data"))
    return reference


def status_history(person: Person):
    """The person's status changes, latest first."""
    return person.status_changes.select_related("recorded_by").order_by("-status_date", "-id")


def person_overview(person: Person, limit: int = 200) -> dict:
    """Everything a person's page shows beside the person, one query per list."""
    employer = Employer.objects.filter(uscc=person.employer_code).first() if person.employer_code else None
    return {
        "employer": employer,
        "status_changes": [_with_reference_text(s) for s in status_history(person)[:limit]],
        "applications": list(Application.objects.filter(person=person)
                             .only("id", "number", "kind", "status", "created_at", "due_date")
                             .order_by("-created_at")[:limit]),
        "discrepancies": list(Discrepancy.objects.filter(id_number=person.id_number)
                              .order_by(F("closed_on").desc(nulls_first=True), "-last_seen", "-id")[:limit]),
        "history": masked_history(person, limit),
    }


def _with_reference_text(change: StatusChange) -> StatusChange:
    change.reference_text = reference_text(change.reference)
    return change


# --- Employers --------------------------------------------------------------------------------------

_CODE_PART = re.compile(r"^[0-9A-Za-z]{1,18}$")


def employers_visible_to(user):
    """Every employer, for a user who may read the register, in name order (off the name index)."""
    access_register(user)
    return Employer.objects.defer("search_grams").order_by(PatternOrder("name"), "id")


def trigrams_of(code: str) -> list[str]:
    return sorted({code[i:i + 3] for i in range(len(code) - 2)})


EMPLOYERS_LISTED = 200  # matches of a search listed at most (in name order); more ask for more of the name


def employer_search_q(text: str) -> Q | None:
    """The condition for employers whose name or credit code contains `text` (None: any employer).

    Both are found through Employer.search_grams (GIN): the name's characters and pairs, the code's
    runs of three. A part that looks like a code is compared with the code in capitals. 泰和东方
    finds 示范市泰和东方科技有限公司.
    """
    text = re.sub(r"\s+", " ", (text or "").strip())
    if not text:
        return None
    compact = text.replace(" ", "")
    grams = sorted({gram for word in text.split(" ") for gram in grams_of(word)})
    in_name = Q(search_grams__contains=grams, name__contains=text)
    if not _CODE_PART.match(compact):
        return in_name
    code = compact.upper()
    in_code = Q(uscc__contains=code)
    if len(code) >= 3:
        in_code &= Q(search_grams__contains=trigrams_of(code))
    if code.isdigit() and len(code) >= 6:
        return in_code  # six digits and more: a part of a code, not of a name
    return in_name | in_code


def search_employers(queryset, text: str):
    """Employers with `text` anywhere in the name or the credit code: the first EMPLOYERS_LISTED + 1
    matches found, in the queryset's order (name order for employers_visible_to).

    Capped so that every search costs at most one GIN lookup, a few hundred rows and a sort of them,
    however common the text: a page in name order of a part that a third of the names hold would
    walk the name index through the other two thirds (names cluster: 示范市白沙… sit together), and
    PostgreSQL underestimates how many names hold all of a text's pairs (建设, 设集, 集团 go together).
    The list says when the cap was reached (employer_matches_capped).
    """
    condition = employer_search_q(text)
    if condition is None:
        return queryset
    first = queryset.filter(condition).order_by().values("pk")[:EMPLOYERS_LISTED + 1]
    return queryset.filter(pk__in=Subquery(first))


def employer_matches_capped(page) -> bool:
    """Whether a page of search_employers reached the cap: more employers match than are listed."""
    return page.end_index() > EMPLOYERS_LISTED


def employer_staff(employer: Employer):
    """The employer's staff in name order, on the (employer_code, name) index."""
    return (Person.objects.filter(employer_code=employer.uscc).only(*PERSON_LIST_FIELDS)
            .order_by("name", "id"))


def staff_counts(employer: Employer) -> dict:
    """{'total': n, 'ACTIVE': n, ...} for the employer's staff, in one query."""
    counts = dict(Person.objects.filter(employer_code=employer.uscc).order_by().values("status")
                  .annotate(n=Count("id")).values_list("status", "n"))
    return {"total": sum(counts.values()), **counts}
