"""A student's id, read one way everywhere (``grader.model.identity``): each reason an id is refused, said
exactly, and at its bounds; the canonical form and the key two ids are compared by. The class listing, the times
file and the roster use these (tests/framework/test_hostile_class.py, test_lms.py); here each rule on its own."""

import unicodedata

import pytest

from grader.model.identity import MAX_LENGTH, canonical, cell_id, key, refusal


@pytest.mark.parametrize(("name", "reason"), [
    ("", "it is empty"),
    ("a" * (MAX_LENGTH + 1), f"it is longer than {MAX_LENGTH} characters"),
    ("ab\ud800", "it is not UTF-8 text"),
    ("\udfff", "it is not UTF-8 text"),
    ("a\u200bb", "it holds the invisible character U+200B"),
    ("a\x7fb", "it holds the invisible character U+007F"),
    ("bob\u00ad", "it holds the invisible character U+00AD"),
    ("a\u202eb", "it holds the invisible character U+202E"),
    (" alice", "it begins or ends with white space"),
    ("alice ", "it begins or ends with white space"),
    ("\u3000alice", "it begins or ends with white space"),
    ("alice\u00a0", "it begins or ends with white space"),
])
def test_a_name_that_cannot_be_an_id_is_refused_with_its_own_reason(name, reason):
    assert refusal(name) == reason


@pytest.mark.parametrize("name", ["a" * MAX_LENGTH, "a", "alice", "Zoë", "王小明", "a b", "\ud7ff", "\ue000",
                                  "क\u200dष", "a\u200cb", "'=1+1", "o'brien,2"])
def test_a_name_within_every_bound_is_an_id(name):
    assert refusal(name) is None


def test_an_id_is_its_composed_form_and_a_lone_surrogate_is_kept_for_its_refusal():
    decomposed = unicodedata.normalize("NFD", "Zoë")
    assert decomposed != "Zoë" and canonical(decomposed) == "Zoë"
    assert canonical("ab\ud800") == "ab\ud800"
    assert cell_id("  Zoe\u0308 \t") == "Zoë"


def test_two_ids_are_one_student_when_they_are_one_once_canonical_and_without_case():
    assert key("Alice") == key("alice") == key("ALICE")
    assert key(unicodedata.normalize("NFD", "Zoë")) == key("ZOË")
    assert key("straße") == key("STRASSE")
    assert key("alice") != key("alicia")
