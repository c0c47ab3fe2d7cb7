"""Two people on the same entry page: only the rows someone changed can conflict, and no one's work is lost.

Every POST here is what the page itself sends (page_data reads the form as a browser would), so the
hidden fields the screen relies on are tested as they are drawn.
"""

from decimal import Decimal

import pytest
from django.test import Client

from kpis.models import ActualValue, FiscalYear, Submission
from tests.support.entry import entry_url, field, login, page_data, set_year_state, value_of
from tests.support.factories import make_user


@pytest.fixture
def a_and_b(client, users, departments, plan):
    """A (同僚) and B (staff-own) of こども家庭課, FY2025 open, no figure entered yet."""
    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    colleague = make_user("colleague", "department_staff", [departments[0]])
    colleague.last_name = "同僚"
    colleague.save()
    return login(Client(), colleague), login(client, users["staff_own"])


def _a_saves_350_13_and_an_analysis(a, shown_to_a):
    data = {
        **shown_to_a,
        field("G3-M1-K1"): "350",
        field("G3-M1-K2"): "13",
        field("G3-M1-K1", "cause_analysis"): "保育士の確保が進んだ",
    }
    assert a.post(entry_url(), data).status_code == 302


def _history(code: str) -> list:
    return list(
        ActualValue.history.filter(indicator__code=code)
        .order_by("history_id")
        .values_list("value", "cause_analysis", "history_user__username")
    )


def test_rows_b_did_not_touch_take_a_colleagues_values_and_are_not_a_conflict(a_and_b):
    a, b = a_and_b
    shown_to_a, shown_to_b = page_data(a.get(entry_url())), page_data(b.get(entry_url()))
    _a_saves_350_13_and_an_analysis(a, shown_to_a)

    response = b.post(entry_url(), {**shown_to_b, field("G3-M1-K3"): "5"})

    assert response.status_code == 302
    assert (value_of("G3-M1-K1"), value_of("G3-M1-K2"), value_of("G3-M1-K3")) == (350, 13, 5)
    assert _history("G3-M1-K1") == [(Decimal(350), "保育士の確保が進んだ", "colleague")]
    assert _history("G3-M1-K2") == [(Decimal(13), "", "colleague")]
    # B's page now shows A's figures, and saving it again changes nothing.
    again = b.get(entry_url())
    assert page_data(again)[field("G3-M1-K1")] == "350"
    assert b.post(entry_url(), page_data(again)).status_code == 302
    assert _history("G3-M1-K1") == [(Decimal(350), "保育士の確保が進んだ", "colleague")]


def test_a_stale_page_posted_again_does_not_erase_a_colleagues_values(a_and_b):
    a, b = a_and_b
    shown_to_a, shown_to_b = page_data(a.get(entry_url())), page_data(b.get(entry_url()))
    _a_saves_350_13_and_an_analysis(a, shown_to_a)

    # B presses 下書き保存 twice on the page opened before A saved, changing nothing the second time.
    assert b.post(entry_url(), shown_to_b).status_code == 302
    assert b.post(entry_url(), shown_to_b).status_code == 302

    assert (value_of("G3-M1-K1"), value_of("G3-M1-K2")) == (350, 13)
    assert [value for value, *_ in _history("G3-M1-K1")] == [Decimal(350)]  # no 350 → −
    assert [value for value, *_ in _history("G3-M1-K2")] == [Decimal(13)]
    assert ActualValue.objects.get(indicator__code="G3-M1-K1").cause_analysis == "保育士の確保が進んだ"


def test_a_row_both_changed_shows_both_values_and_is_not_written_without_a_choice(a_and_b):
    a, b = a_and_b
    shown_to_a, shown_to_b = page_data(a.get(entry_url())), page_data(b.get(entry_url()))
    _a_saves_350_13_and_an_analysis(a, shown_to_a)

    response = b.post(entry_url(), {**shown_to_b, field("G3-M1-K1"): "400", field("G3-M1-K3"): "5"})

    assert response.status_code == 409
    html = response.content.decode()
    assert html.count('class="conflict"') == 1  # G3-M1-K1 only: G3-M1-K2 was not B's change
    conflict = html[html.index('class="conflict"') :]
    assert "350" in conflict and "400" in conflict and "同僚" in conflict
    assert "保育士の確保が進んだ" in conflict  # A's analysis, which B's overwrite would remove
    assert "保存されている値を残す" in conflict and "自分の入力で上書きする" in conflict
    assert value_of("G3-M1-K1") == 350 and value_of("G3-M1-K3") == 5  # B's other change is saved

    # Pressing 下書き保存 again without a choice writes nothing and names the row still waiting.
    unanswered = b.post(entry_url(), page_data(response))
    assert unanswered.status_code == 409
    assert "まだ選ばれていません" in unanswered.content.decode()
    assert "G3-M1-K1" in unanswered.content.decode()
    assert value_of("G3-M1-K1") == 350
    assert [value for value, *_ in _history("G3-M1-K1")] == [Decimal(350)]


def test_keeping_the_stored_value_writes_nothing(a_and_b):
    a, b = a_and_b
    shown_to_a, shown_to_b = page_data(a.get(entry_url())), page_data(b.get(entry_url()))
    _a_saves_350_13_and_an_analysis(a, shown_to_a)
    conflict_page = b.post(entry_url(), {**shown_to_b, field("G3-M1-K1"): "400"})

    choice = {**page_data(conflict_page), field("G3-M1-K1", "choice"): "keep"}
    assert b.post(entry_url(), choice).status_code == 302

    assert value_of("G3-M1-K1") == 350
    assert [value for value, *_ in _history("G3-M1-K1")] == [Decimal(350)]


def test_overwriting_is_a_deliberate_choice_kept_in_the_history(a_and_b, users):
    a, b = a_and_b
    shown_to_a, shown_to_b = page_data(a.get(entry_url())), page_data(b.get(entry_url()))
    _a_saves_350_13_and_an_analysis(a, shown_to_a)
    conflict_page = b.post(entry_url(), {**shown_to_b, field("G3-M1-K1"): "400"})

    choice = {**page_data(conflict_page), field("G3-M1-K1", "choice"): "overwrite"}
    assert b.post(entry_url(), choice).status_code == 302

    assert value_of("G3-M1-K1") == 400 and value_of("G3-M1-K2") == 13
    assert _history("G3-M1-K1") == [
        (Decimal(350), "保育士の確保が進んだ", "colleague"),
        (Decimal(400), "", "staff-own"),
    ]


def test_an_empty_field_erases_a_stored_value_only_by_an_explicit_choice(a_and_b):
    a, b = a_and_b
    shown_to_a, shown_to_b = page_data(a.get(entry_url())), page_data(b.get(entry_url()))
    _a_saves_350_13_and_an_analysis(a, shown_to_a)
    # B leaves the value empty (as the page showed it) but writes a note on the same row.
    response = b.post(entry_url(), {**shown_to_b, field("G3-M1-K1", "note"): "速報値"})

    assert response.status_code == 409
    conflict = response.content.decode()[response.content.decode().index('class="conflict"') :]
    assert "消えます" in conflict  # the overwrite would remove the stored 350: said before choosing
    assert value_of("G3-M1-K1") == 350
    assert b.post(entry_url(), page_data(response)).status_code == 409
    assert value_of("G3-M1-K1") == 350


def test_a_choice_made_against_a_value_that_changed_again_is_asked_again(a_and_b):
    a, b = a_and_b
    shown_to_a, shown_to_b = page_data(a.get(entry_url())), page_data(b.get(entry_url()))
    _a_saves_350_13_and_an_analysis(a, shown_to_a)
    conflict_page = b.post(entry_url(), {**shown_to_b, field("G3-M1-K1"): "400"})
    # A corrects the figure while B is deciding.
    assert a.post(entry_url(), {**page_data(a.get(entry_url())), field("G3-M1-K1"): "360"}).status_code == 302

    response = b.post(entry_url(), {**page_data(conflict_page), field("G3-M1-K1", "choice"): "overwrite"})

    assert response.status_code == 409
    conflict = response.content.decode()[response.content.decode().index('class="conflict"') :]
    assert "360" in conflict and "自分の入力で上書きする" in conflict
    assert field("G3-M1-K1", "choice") not in page_data(response)  # the earlier answer is not carried over
    assert value_of("G3-M1-K1") == 360


def test_the_same_value_typed_by_both_is_not_a_conflict(a_and_b):
    a, b = a_and_b
    shown_to_a, shown_to_b = page_data(a.get(entry_url())), page_data(b.get(entry_url()))
    _a_saves_350_13_and_an_analysis(a, shown_to_a)
    data = {
        **shown_to_b,
        field("G3-M1-K1"): "３５０",
        field("G3-M1-K1", "cause_analysis"): "保育士の確保が進んだ",
    }
    assert b.post(entry_url(), data).status_code == 302
    assert len(_history("G3-M1-K1")) == 1


def test_a_value_changed_in_the_admin_without_a_new_version_is_not_overwritten(a_and_b):
    a, b = a_and_b
    assert a.post(entry_url(), {**page_data(a.get(entry_url())), field("G3-M1-K1"): "350"}).status_code == 302
    shown_to_b = page_data(b.get(entry_url()))
    actual = ActualValue.objects.get(indicator__code="G3-M1-K1")
    actual.value = Decimal(351)
    actual.save()  # the admin keeps the version as it is

    untouched = b.post(entry_url(), {**shown_to_b, field("G3-M1-K3"): "5"})
    assert untouched.status_code == 302 and value_of("G3-M1-K1") == 351
    changed = b.post(entry_url(), {**shown_to_b, field("G3-M1-K1"): "400"})
    assert changed.status_code == 409 and value_of("G3-M1-K1") == 351


def test_an_unchanged_post_leaves_a_not_started_submission_and_the_history_alone(a_and_b):
    _, b = a_and_b
    assert b.post(entry_url(), page_data(b.get(entry_url()))).status_code == 302
    assert not Submission.objects.exists()
    assert not Submission.history.exists() and not ActualValue.history.exists()
