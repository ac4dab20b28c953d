"""The kinds of application: each declared exactly once (enrollment.kinds), read everywhere, and no
module outside the declarations decides by a particular kind.

The approval letter of each kind says that kind's change and no other's; an unknown kind raises
instead of falling back to some kind's behaviour.
"""

import ast
import importlib
import pkgutil
import random
import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import get_template

from core.errors import ValidationFailed
from core.kinds import UnknownKind
from enrollment import demo, kinds, materials
from enrollment.forms.applications import ApplicationForm
from enrollment.kinds import CASE_FIELDS, KINDS, KindSpec, spec_for
from enrollment.letters import ApprovalLetter
from enrollment.models import Application
from enrollment.services import applications as svc
from tests.enrollment.test_application_letters import pdf_text
from tests.enrollment.test_applications import add_persons, new_id_numbers, take_to
from tests.factories import PersonFactory

Kind, Status = Application.Kind, Application.Status
ROOT = Path(settings.BASE_DIR)
REGISTRY = ROOT / "enrollment" / "kinds"


# -- one declaration per kind ----------------------------------------------------------------------

def test_every_kind_has_exactly_one_declaration():
    declared = []
    for info in pkgutil.iter_modules(kinds.__path__):
        module = importlib.import_module(f"enrollment.kinds.{info.name}")
        declared += [value for value in vars(module).values() if isinstance(value, KindSpec)]
    assert sorted(spec.kind for spec in declared) == sorted(Kind.values)  # each kind once, no kind twice
    assert list(KINDS) == list(Kind.values)
    assert all(KINDS[kind] in declared and KINDS[kind].kind == kind for kind in Kind.values)


@pytest.mark.parametrize("kind", Kind.values)
def test_each_declaration_is_complete_and_consistent(kind):
    spec = spec_for(kind)
    assert spec.checklist and set(spec.checklist) <= set(materials.MATERIALS)
    assert len(set(spec.checklist)) == len(spec.checklist)
    assert spec.time_limit > 0 and materials.time_limit(kind) == spec.time_limit
    assert [m.code for m in materials.checklist(kind)] == list(spec.checklist)
    get_template(spec.payload_template)  # exists and compiles
    assert spec.required <= set(CASE_FIELDS)
    form = ApplicationForm(kind=kind)
    asked = {name: field.required for name, field in form.fields.items() if name in CASE_FIELDS}
    assert spec.required <= set(asked)  # the page asks every field the service needs...
    assert {name for name, required in asked.items() if required} == spec.required  # ...and needs no other


def test_an_unknown_kind_raises_and_never_falls_back_to_another(clerk, reviewer, employer):
    with pytest.raises(UnknownKind):
        spec_for("GONE")
    with pytest.raises(UnknownKind):
        materials.time_limit("GONE")
    app = take_to(add_persons(clerk, employer), Status.UNDER_REVIEW, clerk=clerk, reviewer=reviewer)
    app.kind = "GONE"  # a row whose kind is no longer declared
    with pytest.raises(UnknownKind):
        ApprovalLetter(app).body()  # once printed "transferred out" for any kind it did not list
    with pytest.raises(UnknownKind):
        svc.check_applicable(app)


@pytest.mark.usefixtures("english_pages")
def test_an_unknown_kind_from_a_user_is_a_validation_error(clerk):
    with pytest.raises(ValidationFailed) as exc:
        svc.create_application(actor=clerk, kind="GONE", applicant_name="张三")
    assert exc.value.errors == [{"column": "kind", "message": "Unknown kind of application."}]


# -- no decisions by kind outside the declarations ---------------------------------------------------

KIND_NAMES = set(Kind.names)
KIND_VALUES = set(Kind.values)
APPS = ("core", "config", "enrollment", "eligibility", "settlement", "disputes", "supervision", "scripts")


def _names_a_kind(node: ast.AST) -> bool:
    """`Kind.ADD_PERSONS`, `Application.Kind.ADD_PERSONS` or the literal "ADD_PERSONS"."""
    if isinstance(node, ast.Attribute) and node.attr in KIND_NAMES:
        return True
    return isinstance(node, ast.Constant) and node.value in KIND_VALUES


def _kind_decisions(source: str) -> list[int]:
    """Lines that decide by a particular kind: a comparison with one (==, !=, in, not in), a dict keyed by
    kinds (a parallel table per aspect) or a match case on one."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            named = [*sides, *(e for s in sides if isinstance(s, ast.Tuple | ast.List | ast.Set) for e in s.elts)]
            if any(_names_a_kind(n) for n in named):
                lines.append(node.lineno)
        elif isinstance(node, ast.Dict) and any(k is not None and _names_a_kind(k) for k in node.keys):
            lines.append(node.lineno)
        elif isinstance(node, ast.MatchValue) and _names_a_kind(node.value):
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("snippet", [
    "if app.kind == Kind.ADD_PERSONS:\n    pass",
    "if app.kind == Application.Kind.TRANSFER_IN:\n    pass\nelif app.kind != 'TRANSFER_OUT':\n    pass",
    "x = kind in (Kind.ADD_PERSONS, Kind.REMOVE_PERSONS)",
    "TIME_LIMITS = {Kind.CHANGE_INFO: 3}",
    "match app.kind:\n    case Kind.CHANGE_INFO:\n        pass",
])
def test_the_detector_finds_the_old_shapes(snippet):
    assert _kind_decisions(snippet)


def test_the_detector_leaves_data_and_queries_alone():
    assert not _kind_decisions("Application.objects.filter(kind=Kind.EMPLOYER_REGISTRATION)\n"
                               "SCENARIOS = [(Kind.ADD_PERSONS, 'DRAFT')]\nif app.kind in KINDS:\n    pass")


def test_no_module_outside_the_declarations_decides_by_a_kind():
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or path.is_relative_to(REGISTRY):
                continue
            found += [f"{path.relative_to(ROOT)}:{line}" for line in _kind_decisions(path.read_text())]
    assert found == []


def test_no_template_decides_by_a_kind():
    literal = re.compile("['\"](" + "|".join(KIND_VALUES) + ")['\"]")
    found = [str(path.relative_to(ROOT)) for path in sorted((ROOT / "templates").rglob("*.html"))
             if literal.search(path.read_text())]
    assert found == []


# -- the approval letter and the case page of each kind ---------------------------------------------

# What each kind's approval letter says (white space removed), and a header of its case page.
SAYS = {
    Kind.EMPLOYER_REGISTRATION: ("isregisteredformedicalinsurance", "Employer to register"),
    Kind.ADD_PERSONS: ("personsonthestafflistareinsuredasstaffof", "第一批"),
    Kind.REMOVE_PERSONS: ("Theinsuranceof2personsof", "Persons to remove"),
    Kind.CHANGE_INFO: ("Thephoneischangedto", "Changes asked for"),
    Kind.TRANSFER_IN: ("transferredinfrom上海市浦东新区andstartshereon2026-12-01", "Transferred from"),
    Kind.TRANSFER_OUT: ("transferredoutto广东省深圳市andendshereon2026-12-31", "Transferred to"),
}


def _arguments(kind: str, employer) -> dict:
    """create_application's arguments for a case of `kind` (besides actor, kind and provided)."""
    staff = [PersonFactory(insurance_type="EMP", employer_code=employer.uscc) for _ in range(2)]
    return {
        Kind.EMPLOYER_REGISTRATION: dict(applicant_name="王经理", payload={
            "uscc": demo.uscc(random.Random(99)), "employer_name": "示范市新设有限公司"}),
        Kind.ADD_PERSONS: dict(applicant_name="张经办", employer_code=employer.uscc, effective_date=date(2026, 12, 1),
                               payload={"note": "第一批"}),
        Kind.REMOVE_PERSONS: dict(applicant_name="张经办", employer_code=employer.uscc,
                                  effective_date=date(2026, 12, 31),
                                  payload={"id_numbers": [p.id_number for p in staff]}),
        Kind.CHANGE_INFO: dict(applicant_name=staff[0].name, person_id_number=staff[0].id_number,
                               payload={"changes": {"phone": "13900000000"}}),
        Kind.TRANSFER_IN: dict(applicant_name="赵六", effective_date=date(2026, 12, 1), payload={
            "id_number": new_id_numbers(1)[0], "name": "赵六", "from_region": "上海市浦东新区"}),
        Kind.TRANSFER_OUT: dict(applicant_name=staff[1].name, person_id_number=staff[1].id_number,
                                effective_date=date(2026, 12, 31), payload={"to_region": "广东省深圳市"}),
    }[kind]


def _application(kind: str, clerk, employer) -> Application:
    return svc.create_application(actor=clerk, kind=kind, provided=list(spec_for(kind).checklist),
                                  **_arguments(kind, employer))


@pytest.mark.usefixtures("english_pages")
@pytest.mark.parametrize("kind", Kind.values)
def test_the_approval_letter_and_the_case_page_say_the_kinds_change(kind, clerk, reviewer, employer, settings,
                                                                     client_for):
    settings.LETTER_LANGUAGE = "en"
    app = take_to(_application(kind, clerk, employer), Status.UNDER_REVIEW, clerk=clerk, reviewer=reviewer)
    text = pdf_text(svc.approve_application(actor=reviewer, application=app))
    says, header = SAYS[kind]
    assert says in text
    assert [other for other, (line, _h) in SAYS.items() if other != kind and line in text] == []
    page = client_for(clerk).get(f"/enrollment/applications/{app.pk}/").content.decode()
    assert header in page
    assert [other for other, (_l, h) in SAYS.items() if other != kind and h in page] == []


# -- the API schema ---------------------------------------------------------------------------------

def _schemas() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]


def test_the_schema_describes_each_kinds_required_fields_and_payload():
    schemas = _schemas()
    body = schemas["ApplicationInRequest"]
    assert body["discriminator"]["propertyName"] == "kind"
    mapping = body["discriminator"]["mapping"]
    assert set(mapping) == set(Kind.values)
    for kind, ref in mapping.items():
        spec, variant = spec_for(kind), schemas[ref.rsplit("/", 1)[-1]]
        assert {"applicant_name", "kind", *spec.required} <= set(variant["required"])
        assert not (set(CASE_FIELDS) - spec.required) & set(variant["required"])
        payload = schemas[variant["properties"]["payload"]["allOf"][0]["$ref"].rsplit("/", 1)[-1]]
        shape = spec.payload_serializer()
        assert set(payload["properties"]) == set(shape.fields)
        assert set(payload.get("required", [])) == {n for n, f in shape.fields.items() if f.required}
    assert set(schemas["TransferOutPayloadRequest"]["required"]) == {"to_region"}
    assert set(schemas["EmployerRegistrationPayloadRequest"]["required"]) == {"uscc", "employer_name"}


@pytest.mark.parametrize("kind", Kind.values)
def test_a_body_of_each_kinds_documented_shape_is_taken_in(kind, clerk, employer):
    import jsonschema
    from rest_framework.test import APIClient

    arguments = _arguments(kind, employer)
    body = {"kind": kind, **arguments, "provided": list(spec_for(kind).checklist)}
    if body.get("effective_date"):
        body["effective_date"] = body["effective_date"].isoformat()
    schemas = _schemas()
    variant = schemas["ApplicationInRequest"]["discriminator"]["mapping"][kind]
    jsonschema.validate(body, {"$ref": variant, "components": {"schemas": schemas}})
    for name in sorted(spec_for(kind).required):  # without a required case field it is not the documented shape
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({k: v for k, v in body.items() if k != name},
                                {"$ref": variant, "components": {"schemas": schemas}})
    client = APIClient()
    client.force_authenticate(clerk)
    response = client.post("/api/v1/enrollment/applications/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == kind
