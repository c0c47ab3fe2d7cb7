"""History reasons: the application's are kept in Japanese and shown in the reader's language; typed ones as
typed."""

from django.utils import translation
from django.utils.translation import gettext_lazy

from goals.history import history_reason
from lib import reasons
from lib.reasons import shown_reason, source_text


def test_a_known_reason_is_shown_in_english_to_an_english_reader():
    with translation.override("en"):
        assert shown_reason("実績値の入力（下書き保存）") == "Actuals entered (draft saved)"
        assert shown_reason("確定（ロック）") == "Locked"
    with translation.override("ja"):
        assert shown_reason("確定（ロック）") == "確定（ロック）"


def test_a_reason_that_is_also_a_buttons_word_reads_as_a_reason():
    with translation.override("en"):
        assert [shown_reason(word) for word in ("承認", "提出", "差戻し")] == [
            "Approved",
            "Submitted",
            "Returned",
        ]


def test_a_reason_with_a_filled_in_part_is_translated_around_the_part():
    with translation.override("en"):
        assert shown_reason("締切日の変更：2026/07/31") == "Deadline changed: 2026/07/31"
        assert shown_reason("差戻し：数値を確認してください。") == "Returned: 数値を確認してください。"
        assert (
            shown_reason("差戻し（指摘：G3-M1-K1、G3-M1-K2）：要確認")
            == "Returned (comments on G3-M1-K1、G3-M1-K2): 要確認"
        )
        # A part that is itself a message (the follow-up state) is translated too.
        assert shown_reason("対応方針の入力（対応中）") == "Response entered (In progress)"


ENGLISH = {
    "会議の編集：%(fields)s": "Meeting edited: %(fields)s",
    "議題": "Agenda",
    "出席者": "Attendees",
    "差戻し：%(comment)s": "Returned: %(comment)s",
    "単位": "Unit",
}


def test_a_list_of_field_names_is_translated_item_by_item_but_a_typed_comment_is_left_alone(monkeypatch):
    """With a catalogue that knows the messages (a small one here, whatever locale/ holds today)."""
    monkeypatch.setattr(reasons, "gettext", lambda text: ENGLISH.get(text, text))
    monkeypatch.setattr(
        reasons, "pgettext", lambda context, text: ", " if context == "list separator" else text
    )
    assert shown_reason("会議の編集：議題、出席者") == "Meeting edited: Agenda, Attendees"
    assert shown_reason("差戻し：数値、単位") == "Returned: 数値、単位"


def test_a_typed_reason_is_shown_as_typed_in_every_language():
    typed = "集計表の転記ミスを訂正（担当課から連絡）"
    for language in ("ja", "en"):
        with translation.override(language):
            assert shown_reason(typed) == typed
            # Typed text that only starts like a reason of the application is not one of them.
            assert shown_reason("締切日の変更について相談") == "締切日の変更について相談"


def test_no_reason_is_shown_as_nothing_not_as_the_catalogues_header():
    with translation.override("en"):
        assert shown_reason("") == "" and shown_reason(None) == ""
        assert shown_reason("差戻し（指摘：G1-M1-K1）：") == "Returned (comments on G1-M1-K1): "


def test_history_keeps_a_lazy_message_in_japanese_whatever_the_writer_reads():
    message = gettext_lazy("確定（ロック）")
    with translation.override("en"):
        assert str(message) == "Locked"
        assert history_reason(message) == "確定（ロック）"
        assert source_text(message) == "確定（ロック）"
        assert history_reason("  typed reason  ") == "typed reason"


def test_every_filled_in_reason_reads_its_own_text_back():
    values = {
        "day": "2026/07/31",
        "name": "実績.xlsx",
        "comment": "要確認",
        "codes": "G1-M1-K1",
        "state": "対応中",
        "fields": "議題、出席者",
    }
    for template in reasons.FILLED_IN:
        names = reasons._PLACEHOLDER.findall(template)
        stored = template % {name: values[name] for name in names}
        assert reasons._pattern(template).fullmatch(stored), template
