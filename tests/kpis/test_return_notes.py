"""差戻し with a 指摘 per indicator: stored with the row as it was, marked on the entry screen, compared at
the re-review, mentioned in the notice mail and the to-do list, written by the planning office only."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from kpis.cycle import services
from kpis.cycle.forms import RETURN_NOTE_MAX_LENGTH
from kpis.models import ActualValue, FiscalYear, Indicator, ReturnNote, Submission
from tests.integrity.test_hostile_forms import post_forms
from tests.support.entry import OWN_CODES, entry_data, entry_url, login, save_and_submit, set_year_state
from tests.support.factories import set_actual
from tests.support.races import Person, at_once, hidden_value, live_server, own_connections_database

State = Submission.State


def review_url(department: str = "kodomo") -> str:
    return reverse("cycle:review_department", args=[2025, department])


def note_field(code: str) -> str:
    """The name of a row's 指摘 input on the review page."""
    return f"row-{Indicator.objects.get(code=code).pk}-note"


def return_data(notes: dict[str, str], comment: str = "", seen: str = State.SUBMITTED) -> dict:
    data = {"action": "return", "seen": seen, "comment": comment}
    data.update({note_field(code): text for code, text in notes.items()})
    return data


@pytest.fixture
def submitted(plan, departments):
    """こども家庭課 has submitted FY2025: four figures with notes, one with a 要因分析."""
    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    for code in OWN_CODES:
        set_actual(code, 2025, "5", status=ActualValue.Status.SUBMITTED, note="確認済み")
    ActualValue.objects.filter(indicator__code="G3-M1-K2").update(cause_analysis="保育士の確保が進んだ。")
    return Submission.objects.create(
        department=departments[0], strategy=plan, fiscal_year=2025, state=State.SUBMITTED
    )


@pytest.fixture
def planner(client, users):
    return login(client, users["planning"])


def questioned_codes(html: str) -> list[str]:
    """The codes of the rows marked as questioned, in page order."""
    return re.findall(
        r'<tbody class="indicator-row[^"]* has-return-note" id="row-\d+">\s*<tr>\s*<td class="code">([^<]+)',
        html,
    )


# --- storing ---------------------------------------------------------------------------------------------


def test_a_return_with_row_comments_stores_one_note_per_row_with_the_row_as_it_was(planner, users, submitted):
    response = planner.post(
        review_url(),
        return_data(
            {"G3-M1-K1": "前年度と定義が違いませんか。", "G3-M1-K2": "要因をもう少し具体的に。"}, "二点確認を"
        ),
    )

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == State.RETURNED and submitted.comment == "二点確認を"
    notes = {n.indicator.code: n for n in ReturnNote.objects.all()}
    assert set(notes) == {"G3-M1-K1", "G3-M1-K2"}
    k2 = notes["G3-M1-K2"]
    assert k2.comment == "要因をもう少し具体的に。" and k2.written_by == users["planning"]
    assert (k2.value, k2.note, k2.cause_analysis) == (Decimal(5), "確認済み", "保育士の確保が進んだ。")
    assert k2.version == ActualValue.objects.get(indicator__code="G3-M1-K2").version
    assert k2.returned_at == submitted.reviewed_at
    # Every note with its history row, the user and a reason; the submission's reason names the rows.
    record = k2.history.get()
    assert (record.history_user, record.history_change_reason) == (users["planning"], "差戻しの指摘")
    assert "G3-M1-K1、G3-M1-K2" in submitted.history.latest().history_change_reason


def test_row_comments_alone_are_enough_to_return_but_nothing_at_all_is_refused(planner, submitted):
    refused = planner.post(review_url(), return_data({"G3-M1-K1": "   "}, "  "))
    assert refused.status_code == 400
    assert "全体のコメントか、指標ごとの指摘の少なくとも一つが必要です" in refused.content.decode()
    submitted.refresh_from_db()
    assert submitted.state == State.SUBMITTED and not ReturnNote.objects.exists()

    assert planner.post(review_url(), return_data({"G3-M1-K1": "単位は件ですか。"})).status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == State.RETURNED and submitted.comment == ""
    assert list(ReturnNote.objects.values_list("indicator__code", flat=True)) == ["G3-M1-K1"]


def test_a_row_comment_is_cleaned_and_limited_with_a_message_naming_the_row(planner, users, submitted):
    too_long = planner.post(
        review_url(), return_data({"G3-M1-K3": "あ" * (RETURN_NOTE_MAX_LENGTH + 1)}, "確認")
    )

    assert too_long.status_code == 400
    html = too_long.content.decode()
    assert "G3-M1-K3 の指摘は1000文字以内で入力してください（現在1001文字）" in html
    assert "差し戻していません" in html
    assert not ReturnNote.objects.exists()

    hostile = "<script>alert(1)</script>\x0bつぎ\x1bの行"
    assert planner.post(review_url(), return_data({"G3-M1-K3": hostile})).status_code == 302
    assert ReturnNote.objects.get().comment == "<script>alert(1)</script>\nつぎの行"
    login(planner, users["staff_own"])
    page = planner.get(entry_url()).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


def test_a_note_on_another_departments_indicator_is_refused_by_the_service(users, submitted):
    other = Indicator.objects.get(code="G2-M1-K1")
    with pytest.raises(ValidationError, match="G2-M1-K1"):
        services.submission_return(
            user=users["planning"], submission=submitted, comment="", row_comments={other: "見てください"}
        )
    submitted.refresh_from_db()
    assert submitted.state == State.SUBMITTED and not ReturnNote.objects.exists()


@pytest.mark.parametrize("role", ["staff_own", "staff_other", "council"])
def test_only_the_planning_office_may_return_with_notes(client, users, submitted, role):
    login(client, users[role])
    response = client.post(review_url(), return_data({"G3-M1-K1": "勝手な指摘"}, "勝手に"))
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.state == State.SUBMITTED and not ReturnNote.objects.exists()


def test_the_review_page_draws_a_note_field_per_row_inside_the_return_form(planner, submitted):
    forms = post_forms(planner.get(review_url()).content.decode())
    returning = next(form for form in forms if "comment" in form["fields"])
    assert {note_field(code) for code in OWN_CODES} <= set(returning["free"])


# --- the entry screen --------------------------------------------------------------------------------------


def test_the_entry_page_marks_exactly_the_questioned_rows_with_their_comment_and_lists_them_on_top(
    client, users, submitted
):
    services.submission_return(
        user=users["planning"],
        submission=submitted,
        comment="",
        row_comments={Indicator.objects.get(code="G3-M1-K2"): "要因をもう少し具体的に。"},
    )

    html = login(client, users["staff_own"]).get(entry_url()).content.decode()

    assert questioned_codes(html) == ["G3-M1-K2"]
    k2 = Indicator.objects.get(code="G3-M1-K2").pk
    summary = html[html.index('id="return-heading"') : html.index("entry-table")]
    assert f'<a href="#row-{k2}">G3-M1-K2' in summary and "要因をもう少し具体的に。" in summary
    assert "指摘のある指標（1件）" in summary
    row = html[html.index(f'id="row-{k2}"') :]
    row = row[: row.index("</tbody>")]
    assert (
        "G3-M1-K2：政策企画課の指摘" in row and "要因をもう少し具体的に。" in row
    )  # a word, not a colour only
    assert html.count("政策企画課の指摘") == 1


def test_the_entry_page_no_longer_marks_rows_once_resubmitted(client, users, submitted):
    services.submission_return(
        user=users["planning"],
        submission=submitted,
        comment="確認",
        row_comments={Indicator.objects.get(code="G3-M1-K2"): "要因を具体的に。"},
    )
    login(client, users["staff_own"])
    assert save_and_submit(client, {"G3-M1-K2": "6"}).status_code == 302
    assert questioned_codes(client.get(entry_url()).content.decode()) == []


# --- the re-review -----------------------------------------------------------------------------------------


def test_the_re_review_shows_what_changed_since_the_return_and_no_change_for_an_untouched_row(
    client, users, submitted
):
    login(client, users["planning"])
    client.post(review_url(), return_data({"G3-M1-K1": "値を再確認してください。", "G3-M1-K3": "備考を。"}))
    login(client, users["staff_own"])
    data = entry_data({"G3-M1-K1": "７"}, "submit", note={"G3-M1-K1": "再集計しました。"})
    assert client.post(entry_url(), data).status_code == 302
    assert client.post(reverse("cycle:entry_submit", args=[2025]) + "?department=kodomo").status_code == 302

    login(client, users["planning"])
    html = client.get(review_url()).content.decode()

    # The questioned rows come first, each with its comment and its changes (or 変更なし).
    assert questioned_codes(html) == ["G3-M1-K1", "G3-M1-K3"]
    codes = re.findall(r'<tbody class="indicator-row[^"]*"[^>]*>\s*<tr>\s*<td class="code">([^<]+)', html)
    assert codes[:2] == ["G3-M1-K1", "G3-M1-K3"]
    k1 = _row(html, "G3-M1-K1")
    assert "値を再確認してください。" in k1
    changes = re.findall(
        r'<th scope="row">([^<]+)</th><td class="before">([^<]*)</td><td class="arrow"[^>]*>→</td>'
        r'<td class="after">([^<]*)</td>',
        k1,
    )
    assert changes == [("実績値", "5", "7"), ("備考", "確認済み", "再集計しました。")]
    k3 = _row(html, "G3-M1-K3")
    assert "備考を。" in k3 and "変更なし" in k3 and "return-changes" not in k3
    summary = html[html.index('id="previous-return-heading"') : html.index("entry-table")]
    assert "G3-M1-K1 " in summary and "（変更あり）" in summary and "（変更なし）" in summary


def _row(html: str, code: str) -> str:
    pk = Indicator.objects.get(code=code).pk
    row = html[html.index(f'id="row-{pk}"') :]
    return row[: row.index("</tbody>\n  <tbody") if "</tbody>\n  <tbody" in row else row.index("</tbody>")]


def test_a_second_return_shows_only_its_own_notes_and_keeps_the_first_ones_stored(client, users, submitted):
    planning, staff = users["planning"], users["staff_own"]
    k1, k2 = Indicator.objects.get(code="G3-M1-K1"), Indicator.objects.get(code="G3-M1-K2")
    services.submission_return(user=planning, submission=submitted, comment="", row_comments={k1: "一回目"})
    submitted.refresh_from_db()
    services.submission_submit(user=staff, submission=submitted)
    services.submission_return(user=planning, submission=submitted, comment="", row_comments={k2: "二回目"})

    html = login(client, staff).get(entry_url()).content.decode()

    assert questioned_codes(html) == ["G3-M1-K2"]
    assert "二回目" in html and "一回目" not in html
    assert ReturnNote.objects.count() == 2  # the first return's note stays, for the record


def test_an_approval_ends_the_questions_of_the_return_before_it(client, users, submitted):
    k1 = Indicator.objects.get(code="G3-M1-K1")
    services.submission_return(
        user=users["planning"], submission=submitted, comment="", row_comments={k1: "確認"}
    )
    submitted.refresh_from_db()
    services.submission_submit(user=users["staff_own"], submission=submitted)
    services.submission_approve(user=users["planning"], submission=submitted)

    html = login(client, users["planning"]).get(review_url()).content.decode()
    assert questioned_codes(html) == [] and "政策企画課の指摘" not in html


# --- the notice mail and the to-do list ---------------------------------------------------------------------


def test_the_return_notice_and_the_to_do_list_name_the_questioned_rows(
    client, users, submitted, django_capture_on_commit_callbacks
):
    users["staff_own"].email = "staff@town.ami.example"
    users["staff_own"].save()
    notes = {
        Indicator.objects.get(code="G3-M1-K3"): "単位を確認",
        Indicator.objects.get(code="G3-M1-K1"): "定義を確認",
    }
    with django_capture_on_commit_callbacks(execute=True):
        services.submission_return(
            user=users["planning"], submission=submitted, comment="", row_comments=notes
        )

    body = mail.outbox[-1].body
    assert "指摘のある指標（2件" in body
    assert body.index("・G3-M1-K1") < body.index("・G3-M1-K3") and "：定義を確認" in body
    home = login(client, users["staff_own"]).get(reverse("dashboards:home")).content.decode()
    assert "差し戻されました" in home and "指摘のある指標：G3-M1-K1、G3-M1-K3" in home


# --- races -------------------------------------------------------------------------------------------------


def test_a_return_on_a_page_someone_approved_first_is_refused_and_leaves_no_note(client, users, submitted):
    services.submission_approve(user=users["planning"], submission=submitted)
    login(client, users["planning"])

    response = client.post(review_url(), return_data({"G3-M1-K1": "遅れて書いた指摘"}, "遅れた"))

    assert response.status_code == 409
    assert "承認済" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.state == State.APPROVED and not ReturnNote.objects.exists()


@pytest.fixture
def site(transactional_db, tmp_path, settings, plan, departments):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    settings.SECURE_SSL_REDIRECT = False
    with own_connections_database(tmp_path):
        with live_server() as address:
            yield address


def test_approving_and_returning_with_notes_at_once_gives_one_outcome_with_its_notes_only(site, users, plan):
    set_year_state(plan, 2025, FiscalYear.State.OPEN)
    for code in OWN_CODES:
        set_actual(code, 2025, "5", status=ActualValue.Status.SUBMITTED, note="確認済み")
    submission = Submission.objects.create(
        department=users["staff_own"].departments.first(),
        strategy=plan,
        fiscal_year=2025,
        state=State.SUBMITTED,
    )
    approver, returner = Person(site, users["planning"]), Person(site, users["planning"])
    url = review_url()
    data = return_data({"G3-M1-K1": "競合中の指摘"}, seen=hidden_value(returner.get(url)[1], "seen"))
    seen = hidden_value(approver.get(url)[1], "seen")

    approve, back = at_once(
        lambda: approver.post(url, {"action": "approve", "seen": seen})[0],
        lambda: returner.post(url, data)[0],
    )

    assert sorted([approve, back]) == [302, 409], (approve, back)
    submission.refresh_from_db()
    if approve == 302:
        assert submission.state == State.APPROVED and not ReturnNote.objects.exists()
    else:
        assert submission.state == State.RETURNED
        assert list(ReturnNote.objects.values_list("comment", flat=True)) == ["競合中の指摘"]
