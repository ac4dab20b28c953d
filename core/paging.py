"""Pagination for big tables: fetch one row more than the page to learn whether a next page exists.

Django's Paginator counts the whole result first (SELECT COUNT(*)), which over a million persons
costs more than the page itself. A PeekPage answers "is there a next page?" from the extra row,
so a page is one LIMIT/OFFSET query on an index. It offers the attributes the pagination partials
use (has_next, next_page_number, ...), without num_pages.
"""

from collections.abc import Sequence


class PeekPage(Sequence):
    def __init__(self, object_list: list, number: int, per_page: int, has_next: bool):
        self.object_list = object_list
        self.number = number
        self.per_page = per_page
        self._has_next = has_next

    def __len__(self):
        return len(self.object_list)

    def __getitem__(self, index):
        return self.object_list[index]

    def __repr__(self):
        return f"<PeekPage {self.number}>"

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.object_list)


def page_number(value, default: int = 1, maximum: int = 10_000) -> int:
    """A page number from a query parameter: anything that is not a positive integer is page 1."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return min(max(number, 1), maximum)


def peek_page(queryset, number, per_page: int = 50) -> PeekPage:
    """One page of an ordered queryset (or list) in one query: per_page + 1 rows at the offset."""
    number = page_number(number)
    offset = (number - 1) * per_page
    rows = list(queryset[offset:offset + per_page + 1])
    return PeekPage(rows[:per_page], number, per_page, len(rows) > per_page)
