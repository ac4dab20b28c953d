"""core.timeline: audit entries as sentences with staff names, never their codes (issue 14, item 4)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.audit import record
from core.audit_views import object_history
from core.letters import TextLetter
from core.registry import audit_texts
from core.system import staff_name, system_user
from core.timeline import AuditText, Phrase, describe, object_timeline, phrase_for
from tests.factories import PersonFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def audit(actor, action, obj, before=None, after=None):
    with transaction.atomic():
        return record(actor, action, obj, before, after)


def texts(obj) -> list[str]:
    return [item["text"] for item in object_timeline(obj)]


def test_staff_are_named_by_full_name_else_user_name_and_the_system_as_such(make_user, django_user_model, english):
    assert staff_name(make_user("wf", first_name="王芳")) == "王芳"
    assert staff_name(make_user("plain_user")) == "plain_user"
    assert staff_name(system_user()) == "The system"
    assert staff_name(None) == ""


def test_an_undeclared_action_reads_as_a_sentence_with_the_changed_fields_labels(clerk, english):
    provider = ProviderFactory()
    audit(clerk, "core.provider.renamed_somehow", provider, {"name": "旧", "area": "LOCAL"},
          {"name": "新", "area": "OUT", "extra": {"k": 1}})
    (text,) = texts(provider)
    assert text == "王芳 changed name、area."
    assert "renamed_somehow" not in text and "LOCAL" not in text


def test_an_undeclared_move_of_state_reads_by_the_states_labels(clerk, english):
    person = PersonFactory()
    audit(clerk, "enrollment.person.suspended_somehow", person, {"status": "ACTIVE"}, {"status": "SUSPENDED"})
    assert texts(person) == ["王芳 moved it from “Active” to “Suspended”."]


def test_an_undeclared_action_without_fields_names_the_object(clerk, english):
    provider = ProviderFactory(code="T1", name="示范医院")
    audit(clerk, "core.provider.looked_at", provider)
    assert texts(provider) == ["王芳 changed T1 示范医院."]


@pytest.fixture
def declare(monkeypatch):
    """Add phrases to every app's, for one test."""
    import core.timeline as timeline

    def add(text: AuditText):
        merged = timeline.merge([*audit_texts(), text])
        monkeypatch.setattr(timeline, "vocabulary", lambda: merged)

    return add


def test_a_declared_phrase_fills_its_placeholders_in_words(clerk, reviewer, english, declare):
    """Choices by label, users by name, a placeholder the entry lacks as nothing, the note under it."""
    declare(AuditText(phrases={"core.provider.checked": Phrase(
        "%(actor)s checked %(object)s (%(area)s, was %(area_before)s) with %(checker)s%(nothing)s.")},
        user_keys=frozenset({"checker"})))
    provider = ProviderFactory(code="T2", name="示范药房")
    audit(clerk, "core.provider.checked", provider, {"area": "LOCAL"},
          {"area": "OUT", "checker": reviewer.pk, "note": "已核对"})
    (item,) = object_timeline(provider)
    assert item["text"] == "王芳 checked T2 示范药房 (Out of area, was Local) with 张伟."
    assert (item["note"], item["actor"]) == ("已核对", "王芳")


def test_the_system_and_an_actor_of_none_read_as_the_system(english):
    provider = ProviderFactory()
    audit(None, "core.provider.touched", provider)
    audit(system_user(), "core.provider.touched", provider)
    assert [t.split(" changed ")[0] for t in texts(provider)] == ["The system", "The system"]


def test_every_app_declares_its_actions_and_admin_edits_read_for_every_model(english):
    assert phrase_for("enrollment.application.notice_issued") is not None
    assert phrase_for("supervision.problem.assigned") is not None
    assert phrase_for("eligibility.policy_version.changed_in_admin") is phrase_for("core.provider.changed_in_admin")
    assert phrase_for("nobody.declares.this") is None


def test_a_letter_kept_with_a_change_joins_its_sentence_and_one_issued_alone_stands_alone(clerk, english,
                                                                                          declare):
    declare(AuditText(phrases={"core.provider.approved": "%(actor)s approved it and issued %(letter)s."}))
    provider = ProviderFactory()

    def letter():
        return TextLetter(kind="test", prefix="TL", title="测试通知书", paragraphs=["正文"])

    with transaction.atomic():
        with_change = letter()
        with_change.prepare()  # before the change's entry, as services do
        record(clerk, "core.provider.approved", provider)
        first = with_change.keep(actor=clerk, obj=provider)
    alone = letter().issue(actor=clerk, obj=provider)
    assert texts(provider) == [f"王芳 issued 测试通知书 {alone.number}.",
                               f"王芳 approved it and issued 测试通知书 {first.number}."]


def test_a_letter_kept_after_a_second_step_joins_the_step_that_names_it(clerk, reviewer, english, declare):
    """Approved, then applied (a phrase with no letter), then the letter, in one transaction: the letter is
    named by the approval. A letter after a step that names none, with no such step before it by the same
    person, stands on a line of its own: it is never lost."""
    declare(AuditText(phrases={"core.provider.approved": "%(actor)s approved it and issued %(letter)s.",
                               "core.provider.applied": "%(actor)s applied it."}))
    provider, other = ProviderFactory(), ProviderFactory()

    def letter():
        return TextLetter(kind="test", prefix="TL", title="测试通知书", paragraphs=["正文"])

    with transaction.atomic():
        kept = letter()
        kept.prepare()
        record(reviewer, "core.provider.approved", provider)
        record(reviewer, "core.provider.applied", provider)
        first = kept.keep(actor=reviewer, obj=provider)
    assert texts(provider) == ["张伟 applied it.", f"张伟 approved it and issued 测试通知书 {first.number}."]

    with transaction.atomic():
        kept = letter()
        kept.prepare()
        record(clerk, "core.provider.approved", other)  # someone else's approval: not this letter's step
        record(reviewer, "core.provider.applied", other)
        second = kept.keep(actor=reviewer, obj=other)
    assert texts(other) == [f"张伟 issued 测试通知书 {second.number}.", "张伟 applied it.",
                            "王芳 approved it and issued."]


def test_identity_numbers_in_an_entry_are_masked(clerk, english):
    person = PersonFactory()
    audit(clerk, "enrollment.person.changed", person, {"name": person.id_number}, {"name": "张三"})
    (text,) = texts(person)
    assert person.id_number not in text and person.id_number[-4:] in text


def test_a_timeline_costs_the_same_queries_for_3_or_30_entries(clerk, reviewer):
    few, many = PersonFactory(), PersonFactory()
    for person, n in ((few, 3), (many, 30)):
        for i in range(n):
            audit(clerk if i % 2 else reviewer, "enrollment.person.changed", person, {"phone": str(i)},
                  {"phone": str(i + 1)})
    counts = []
    for person in (few, many):
        with CaptureQueriesContext(connection) as queries:
            assert len(describe(list(object_history(person)))) > 2
        counts.append(len(queries))
        with CaptureQueriesContext(connection) as queries:
            object_timeline(person)
        counts.append(len(queries))
    assert counts[0] == counts[2] and counts[1] == counts[3] <= 2


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_declared_phrase_reads_in_each_language(language):
    """Each app's AuditText is one; every phrase fills from an entry that lacks every fact it names."""
    from django.utils import translation

    from core.models import AuditEntry
    from core.timeline import Entry, sentence, vocabulary

    assert all(isinstance(text, AuditText) for text in audit_texts())
    vocab = vocabulary()
    with translation.override(language):
        for code in vocab.phrases:
            row = AuditEntry(seq=1, action=code.replace("*", "core.provider"), object_type="core.provider",
                             object_id="1", object_repr="T1 示范医院", actor_name="system")
            text = sentence(Entry(row, vocab, {}))["text"]
            assert text and "%(" not in text and code not in text, code
