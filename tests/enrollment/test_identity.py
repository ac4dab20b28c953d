"""The test factories' identity numbers: valid, and never the same twice (a repeat broke tests at random)."""

from enrollment.identity import check_id_number
from tests.factories import make_id_number


def test_the_factories_identity_numbers_never_repeat_and_are_valid():
    numbers = [make_id_number() for _ in range(5000)]
    assert len(set(numbers)) == len(numbers)
    assert [check_id_number(n) for n in numbers[:500]] == numbers[:500]
