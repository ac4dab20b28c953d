"""Equality inside an exclusion constraint without an extension.

An exclusion constraint such as "one version per key on any day" needs a GiST operator class for
each of its columns. A date range has one built in; a text key does not (btree_gist would give it,
but that is a contrib extension, and the embedded PostgreSQL of `make run` and `make test` ships
none). So the key is compared as a one-value range of text: key_range(k, k, '[]') overlaps
key_range(j, j, '[]') exactly when k = j, and range types have a built-in GiST operator class.

key_range is an ordinary range type (CREATE TYPE … AS RANGE), collated "C" so that comparing two
keys is comparing their bytes. A migration that builds such a constraint runs CREATE_KEY_RANGE
first (it does nothing when the type is there).
"""

from django.db import models
from django.db.models import Func, Value
from django.db.models.functions import Cast

CREATE_KEY_RANGE = """
DO $$
BEGIN
    IF to_regtype('key_range') IS NULL THEN
        CREATE TYPE key_range AS RANGE (subtype = text, collation = "C");
    END IF;
END
$$;
"""


class KeyRange(Func):
    """key_range(key, key, '[]'): the one-value range of a text key, for `&&` in an exclusion
    constraint (two such ranges overlap when the keys are equal)."""

    function = "key_range"
    output_field = models.TextField()

    def __init__(self, key, **extra):
        # The key twice as two arguments (not one placeholder used twice), so that a constraint's
        # validation, which puts a value in the key's place, passes it twice too.
        super().__init__(Cast(key, models.TextField()), Cast(key, models.TextField()), Value("[]"), **extra)
