import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from lib.forms import TextField
from lib.text import CONTROL_CHARACTERS, clean_text, has_control_characters, no_control_characters


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("行1\r\n行2", "行1\n行2"),
        ("行1\r行2", "行1\n行2"),
        ("PowerPointの改行\x0bです", "PowerPointの改行\nです"),
        ("色\x1b[31m付き", "色[31m付き"),
        ("タブ\tはそのまま", "タブ\tはそのまま"),
        ("C1\x85制御\x9f", "C1制御"),
        ("行区切り\u2028段落\u2029", "行区切り\n段落\n"),
        ("普通の文 <b>markup</b> & △", "普通の文 <b>markup</b> & △"),
    ],
)
def test_clean_text_keeps_what_is_visible_and_line_breaks(typed, kept):
    assert clean_text(typed) == kept


@given(st.text())
def test_cleaned_text_never_holds_a_control_character(text):
    cleaned = clean_text(text)
    assert not has_control_characters(cleaned)
    assert "\r" not in cleaned


def test_the_validator_names_the_characters_it_refuses():
    no_control_characters("改行\nとタブ\tは可")
    with pytest.raises(ValidationError) as caught:
        no_control_characters("a\x0bb\x1b")
    assert "U+000B" in caught.value.messages[0] and "U+001B" in caught.value.messages[0]


class _Form(forms.Form):
    note = TextField(required=False)


def test_the_text_field_stores_the_cleaned_text():
    form = _Form({"note": "  要因\x0bの分析\x1b\r\n  "})
    assert form.is_valid()
    assert form.cleaned_data["note"] == "要因\nの分析"


def test_the_text_field_refuses_a_nul_with_a_message_that_names_it():
    form = _Form({"note": "a\x00b"})
    assert not form.is_valid()
    assert "NUL" in form.errors["note"][0]


def test_only_tab_and_line_breaks_are_allowed_of_the_c0_controls():
    allowed = {chr(c) for c in range(0x20) if not CONTROL_CHARACTERS.match(chr(c))}
    assert allowed == {"\t", "\n", "\r"}
