"""factory_boy factories over the real models, with valid identity numbers and codes."""

import itertools
import random
from datetime import date

import factory

from core.models import Provider
from enrollment import demo
from enrollment.identity import birth_date_of, gender_of, pinyin_initials, with_id_check_character
from enrollment.models import Employer, Person, StatusChange

_rng = random.Random(2026)


_issued = itertools.count()


def make_id_number(birth: date = date(1985, 6, 15), gender: str = "1") -> str:
    """A valid identity number never issued before in this process (county and order code from a
    counter: 5,000 for one birth date and sex), so that factories never collide on the unique key."""
    n = next(_issued)
    order = (n // len(demo.COUNTIES)) % 500
    stem = f"{demo.COUNTIES[n % len(demo.COUNTIES)]}{birth:%Y%m%d}{order * 2 + (1 if gender == '1' else 0):03d}"
    return with_id_check_character(stem)


class EmployerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employer
        django_get_or_create = ("uscc",)

    uscc = factory.LazyFunction(lambda: demo.uscc(_rng))
    name = factory.Sequence(lambda n: f"示范市测试{n}有限公司")
    schemes = factory.LazyFunction(lambda: [Employer.Scheme.BASIC])


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    id_number = factory.LazyFunction(make_id_number)
    name = factory.LazyFunction(lambda: demo.person_name(_rng))
    name_initials = factory.LazyAttribute(lambda o: pinyin_initials(o.name))
    gender = factory.LazyAttribute(lambda o: gender_of(o.id_number))
    birth_date = factory.LazyAttribute(lambda o: birth_date_of(o.id_number))
    insurance_type = "RES"
    employer_code = ""
    status = "ACTIVE"
    status_date = date(2020, 1, 1)
    paid_through = date(2026, 10, 1)

    @factory.post_generation
    def history(obj, create, extracted, **kwargs):
        if create:
            StatusChange.objects.get_or_create(person=obj, status=obj.status, status_date=obj.status_date,
                                               defaults={"source": StatusChange.Source.LOAD})


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T3201{n:04d}")
    name = factory.Sequence(lambda n: f"示范市测试医院{n}")
    level = 2
    area = Provider.Area.LOCAL
