"""A meeting's agenda, attendees and minutes, and its attached minutes file kept in the database."""

import datetime
import hashlib
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from goals.models import Strategy
from reviews.documents import MAX_BYTES, safe_filename
from reviews.models import Meeting, MeetingDocument
from reviews.services import meeting_marker
from tests.support.documents import WORD_MACRO_MAIN, docx_bytes, pdf_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def meeting(plan):
    return Meeting.objects.create(
        strategy=plan,
        fiscal_year=2025,
        name="令和7年度第1回創生有識者会議",
        date=datetime.date(2026, 7, 15),
        agenda="1. 効果検証結果について",
        attendees="阿見 一郎（茨城大学）",
    )


def edit_url(meeting) -> str:
    return reverse("reviews:meeting_edit", args=[meeting.pk])


def download_url(meeting) -> str:
    return reverse("reviews:meeting_document", args=[meeting.pk])


def form_data(meeting, **changes) -> dict:
    """The edit form as the page shows it (with its marker), with some fields changed."""
    meeting.refresh_from_db()
    stored = MeetingDocument.objects.described().filter(meeting=meeting).first()
    data = {
        "name": meeting.name,
        "body": meeting.body,
        "date": meeting.date.isoformat(),
        "fiscal_year": str(meeting.fiscal_year),
        "agenda": meeting.agenda,
        "attendees": meeting.attendees,
        "minutes": meeting.minutes,
        "reason": "",
        "seen": meeting_marker(meeting, stored),
    }
    data.update(changes)
    return data


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def attach(client, meeting, name="議事要旨.pdf", data=None, **changes):
    return client.post(
        edit_url(meeting),
        {**form_data(meeting, **changes), "document": upload(name, pdf_bytes() if data is None else data)},
    )


# --- Registering and editing -------------------------------------------------------------------------


def test_the_planning_office_registers_a_meeting_with_its_agenda_and_attendees(client, plan, users):
    client.force_login(users["planning"])
    data = {
        "name": "令和7年度第2回創生有識者会議",
        "body": "council",
        "date": "2027-01-20",
        "fiscal_year": "2025",
        "agenda": "1. 意見への対応状況\r\n2. 次年度の取組",
        "attendees": "阿見 一郎（茨城大学）\r\n\r\n筑波 花子（常陽銀行）\r\n",
        "minutes": "",
    }
    response = client.post(reverse("reviews:meetings"), data)
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == meeting.get_absolute_url()
    assert meeting.agenda == "1. 意見への対応状況\n2. 次年度の取組"
    assert meeting.attendee_list == ["阿見 一郎（茨城大学）", "筑波 花子（常陽銀行）"]
    assert meeting.history.get().history_change_reason == "会議の登録"


@pytest.mark.parametrize("who", ["council", "staff_own", "planning"])
def test_every_role_reads_the_agenda_attendees_minutes_and_the_file_link_on_the_meeting_page(
    client, users, meeting, who
):
    Meeting.objects.filter(pk=meeting.pk).update(
        attendees="阿見 一郎（茨城大学）\n筑波 花子（常陽銀行）", minutes="社会増数について意見があった。"
    )
    client.force_login(users["planning"])
    attach(client, meeting, name="議事要旨.pdf")
    client.force_login(users[who])
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert "1. 効果検証結果について" in html
    assert "<li>阿見 一郎（茨城大学）</li><li>筑波 花子（常陽銀行）</li>" in html
    assert "社会増数について意見があった。" in html
    assert f'href="{download_url(meeting)}"' in html and "議事要旨のファイル：議事要旨.pdf" in html
    assert (edit_url(meeting) in html) == (who == "planning")


def test_a_meeting_without_a_record_says_what_is_missing(client, users, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(agenda="", attendees="")
    client.force_login(users["council"])
    html = client.get(meeting.get_absolute_url()).content.decode()
    for text in (
        "議題はまだ登録されていません。",
        "出席者はまだ登録されていません。",
        "議事要旨はまだ登録されていません。",
    ):
        assert text in html


def test_an_edit_is_saved_with_the_reason_typed_or_the_fields_it_changed(client, users, meeting):
    client.force_login(users["planning"])
    response = client.post(
        edit_url(meeting), form_data(meeting, minutes="議事要旨です。", reason="会議後に記録")
    )
    assert response.status_code == 302 and response["Location"] == meeting.get_absolute_url()
    meeting.refresh_from_db()
    assert meeting.minutes == "議事要旨です。"
    newest = meeting.history.latest()
    assert (newest.history_user, newest.history_change_reason) == (users["planning"], "会議後に記録")

    client.post(
        edit_url(meeting), form_data(meeting, attendees="阿見 一郎\n霞 次郎", agenda="1. 変更した議題")
    )
    assert meeting.history.latest().history_change_reason == "会議の編集：議題、出席者"


def test_saving_the_page_unchanged_writes_no_history(client, users, meeting):
    client.force_login(users["planning"])
    before = meeting.history.count()
    assert client.post(edit_url(meeting), form_data(meeting)).status_code == 302
    assert meeting.history.count() == before


def test_an_edit_after_someone_else_saved_is_refused_with_409_showing_theirs_and_keeping_what_was_typed(
    client, users, meeting
):
    client.force_login(users["planning"])
    seen = client.get(edit_url(meeting)).context["form"]["seen"].value()
    Meeting.objects.filter(pk=meeting.pk).update(minutes="他の人が書いた議事要旨")
    data = {**form_data(meeting, minutes="私の議事要旨"), "seen": seen}
    response = client.post(edit_url(meeting), data)
    html = response.content.decode()
    assert response.status_code == 409
    assert "他の人が変更したため保存しませんでした" in html and html.count("他の人が変更したため") == 1
    assert "他の人が書いた議事要旨" in html  # theirs, shown
    assert response.context["form"]["minutes"].value() == "私の議事要旨"  # mine, kept
    meeting.refresh_from_db()
    assert meeting.minutes == "他の人が書いた議事要旨"
    # Saving again is a deliberate choice to replace theirs.
    again = {**data, "seen": response.context["form"]["seen"].value()}
    assert client.post(edit_url(meeting), again).status_code == 302
    meeting.refresh_from_db()
    assert meeting.minutes == "私の議事要旨"


def test_a_file_attached_by_someone_else_meanwhile_is_a_conflict_too(client, users, meeting):
    client.force_login(users["planning"])
    seen = form_data(meeting)["seen"]
    attach(client, meeting, name="先に添付.pdf")
    response = client.post(
        edit_url(meeting),
        {**form_data(meeting), "seen": seen, "document": upload("後から.pdf", pdf_bytes("b"))},
    )
    assert response.status_code == 409
    assert "選んだファイルは保存していません" in response.content.decode()
    assert MeetingDocument.objects.get().filename == "先に添付.pdf"


# --- The attached file -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, data, content_type",
    [
        ("議事要旨.pdf", pdf_bytes(), PDF),
        ("minutes.docx", docx_bytes(), DOCX),
        ("出席者.xlsx", xlsx_bytes(), XLSX),
    ],
)
def test_a_pdf_word_or_excel_file_is_kept_in_the_database_and_downloaded_as_it_was(
    client, users, meeting, name, data, content_type
):
    client.force_login(users["planning"])
    assert attach(client, meeting, name=name, data=data).status_code == 302
    document = MeetingDocument.objects.get(meeting=meeting)
    assert (document.filename, document.content_type, document.size) == (name, content_type, len(data))
    assert bytes(document.data) == data and document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.uploaded_by == users["planning"]
    history = document.history.get()
    assert (history.history_user, history.history_change_reason) == (
        users["planning"],
        f"添付ファイルの登録：{name}",
    )

    client.force_login(users["council"])
    response = client.get(download_url(meeting))
    assert response.status_code == 200 and response.content == data
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment; ")


def test_the_download_names_the_file_safely_in_rfc_5987_form(client, users, meeting):
    client.force_login(users["planning"])
    attach(client, meeting, name='..\\..\\議事"要旨\x1b.pdf')
    document = MeetingDocument.objects.get()
    assert document.filename == '議事"要旨.pdf'
    disposition = client.get(download_url(meeting))["Content-Disposition"]
    ascii_name = f"meeting-{meeting.pk}-document.pdf"
    assert disposition == (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''%E8%AD%B0%E4%BA%8B%22%E8%A6%81%E6%97%A8.pdf"
    )
    assert "\n" not in disposition and "\r" not in disposition


@pytest.mark.parametrize(
    "typed, kept",
    [
        ("C:\\Users\\町\\議事要旨.pdf", "議事要旨.pdf"),
        ("/etc/../議事\r\n要旨\u2028\x1b.pdf", "議事 要旨 .pdf"),
        ("  .議事要旨.pdf. ", "議事要旨.pdf"),
        ("あ" * 300 + ".docx", "あ" * 195 + ".docx"),
    ],
)
def test_a_file_keeps_its_own_name_without_folders_control_characters_or_excess_length(typed, kept):
    assert safe_filename(typed) == kept


def test_a_file_bigger_than_django_keeps_in_memory_still_never_touches_the_servers_disk(
    client, users, meeting
):
    big = pdf_bytes() + b"0" * (6 * 1024 * 1024)  # more than FILE_UPLOAD_MAX_MEMORY_SIZE (5 MB)
    client.force_login(users["planning"])
    with mock.patch(
        "django.core.files.uploadhandler.TemporaryFileUploadHandler.new_file",
        side_effect=AssertionError("an upload was written to a temporary file"),
    ):
        assert attach(client, meeting, data=big).status_code == 302
    assert MeetingDocument.objects.get().size == len(big)


def refused(client, meeting, name, data, **changes):
    response = attach(client, meeting, name=name, data=data, **changes)
    assert response.status_code == 400, response.status_code
    assert not MeetingDocument.objects.exists()
    return response


BAD_FILES = [
    ("minutes.txt", b"plain text", "添付できるのは PDF（.pdf）、Word（.docx）、Excel（.xlsx）のファイルです"),
    ("minutes.exe", b"MZ\x90\x00", "添付できるのは"),
    ("minutes", pdf_bytes(), "添付できるのは"),
    ("fake.pdf", b"<html><script>alert(1)</script></html>", "PDFファイルではありません"),
    ("minutes.docm", docx_bytes(WORD_MACRO_MAIN), "添付できるのは"),
    ("minutes.docx", docx_bytes(WORD_MACRO_MAIN), "マクロ付きのWordファイルは添付できません"),
    ("minutes.docx", docx_bytes(extra={"word/vbaProject.bin": b"\x00" * 10}), "マクロ（VBA）を含むファイル"),
    ("minutes.docx", xlsx_bytes(), "Wordの文書（.docx）ではありません"),
    ("minutes.docx", pdf_bytes(), "Word（.docx）ファイルとして読めません"),
    ("minutes.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "古い形式（.doc）"),
    ("minutes.xlsx", docx_bytes(), "Excelのブック（.xlsx）ではありません"),
    (
        "bomb.docx",
        docx_bytes(extra={"word/media/zeros.xml": b"<a/>" + b" " * (20 * 1024 * 1024)}),
        "圧縮爆弾の可能性",
    ),
    (
        "dtd.docx",
        docx_bytes(extra={"word/styles.xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "a">]><x/>'}),
        "文書型定義",
    ),
]


@pytest.mark.parametrize("name, data, message", BAD_FILES, ids=[f"{n}-{m[:8]}" for n, _, m in BAD_FILES])
def test_a_file_that_is_not_a_plain_pdf_word_or_excel_file_is_refused_beside_the_field(
    client, users, meeting, name, data, message
):
    client.force_login(users["planning"])
    response = refused(client, meeting, name, data, minutes="同時に変えた議事要旨")
    html = response.content.decode()
    assert message in str(response.context["form"].errors["document"])
    assert html.count('<p class="field-error">') == 1
    assert 'id="id_document_error"' in html  # beside the field (「議事要旨のファイル」) it names
    meeting.refresh_from_db()
    assert meeting.minutes == ""  # nothing of the request is written


def test_an_empty_file_or_one_over_10_mb_is_refused(client, users, meeting):
    client.force_login(users["planning"])
    data = pdf_bytes() + b"0" * (MAX_BYTES - len(pdf_bytes()) + 1)
    response = refused(client, meeting, "big.pdf", data)
    assert "ファイルが大きすぎます（10,485,761バイト、上限は10,485,760バイト）" in response.content.decode()
    assert attach(client, meeting, name="big.pdf", data=data[:-1]).status_code == 302  # exactly 10 MB
    MeetingDocument.objects.all().delete()
    response = refused(client, meeting, "empty.pdf", b"")
    assert response.context["form"].errors["document"]


def test_a_request_announcing_more_than_the_limit_is_refused_before_it_is_read(client, users, meeting):
    client.force_login(users["planning"])
    response = client.post(
        edit_url(meeting),
        data=b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(MAX_BYTES * 2),
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "議事要旨のファイル（PDF・Word・Excel）：ファイルが大きすぎます" in html
    assert not MeetingDocument.objects.exists()


def test_a_new_file_replaces_the_old_one_and_the_history_says_so(client, users, meeting):
    client.force_login(users["planning"])
    attach(client, meeting, name="第1版.pdf")
    attach(client, meeting, name="第2版.docx", data=docx_bytes())
    document = MeetingDocument.objects.get()
    assert (document.filename, document.content_type) == ("第2版.docx", DOCX)
    reasons = list(
        document.history.order_by("history_id").values_list("history_type", "history_change_reason")
    )
    assert reasons == [("+", "添付ファイルの登録：第1版.pdf"), ("~", "添付ファイルの差し替え：第2版.docx")]


def test_the_planning_office_removes_the_file_and_the_history_keeps_who_and_which(client, users, meeting):
    client.force_login(users["planning"])
    attach(client, meeting, name="古い議事要旨.pdf")
    document_id = MeetingDocument.objects.get().pk
    response = client.post(edit_url(meeting), {**form_data(meeting), "remove_document": "on"})
    assert response.status_code == 302 and not MeetingDocument.objects.exists()
    gone = MeetingDocument.history.get(id=document_id, history_type="-")
    assert (gone.history_user, gone.history_change_reason) == (
        users["planning"],
        "添付ファイルの削除：古い議事要旨.pdf",
    )
    assert client.get(download_url(meeting)).status_code == 404


def test_choosing_a_file_and_removing_at_once_is_one_error(client, users, meeting):
    client.force_login(users["planning"])
    attach(client, meeting, name="残す.pdf")
    response = client.post(
        edit_url(meeting),
        {**form_data(meeting), "remove_document": "on", "document": upload("新.pdf", pdf_bytes())},
    )
    assert response.status_code == 400
    assert response.content.decode().count("チェックを外してください") == 1
    assert MeetingDocument.objects.get().filename == "残す.pdf"


def test_the_edit_page_lists_the_meetings_and_its_files_history(client, users, meeting):
    client.force_login(users["planning"])
    attach(client, meeting, name="議事要旨.pdf", minutes="要旨", reason="")
    html = client.get(edit_url(meeting)).content.decode()
    assert "添付ファイルの登録：議事要旨.pdf" in html and "会議の編集：議事要旨" in html


def test_the_audit_log_shows_the_files_changes(client, users, meeting):
    client.force_login(users["planning"])
    attach(client, meeting, name="監査.pdf")
    response = client.get(reverse("office:audit"))
    assert response.status_code == 200 and "監査.pdf" in response.content.decode()


def test_the_file_of_another_plans_meeting_is_not_found(client, users, meeting):
    foreign = Strategy.objects.create(
        code="dai4ki", name="第４期", first_year=2028, last_year=2032, baseline_year=2027, is_active=False
    )
    other = Meeting.objects.create(
        strategy=foreign, fiscal_year=2028, name="第４期の会議", date=datetime.date(2028, 7, 1)
    )
    MeetingDocument.objects.create(
        meeting=other,
        filename="x.pdf",
        content_type=PDF,
        size=5,
        sha256="0",
        data=b"%PDF-",
        uploaded_at="2028-07-01T00:00Z",
    )
    client.force_login(users["planning"])
    assert client.get(download_url(other)).status_code == 404
    assert client.get(edit_url(other)).status_code == 404


# --- Text extremes -----------------------------------------------------------------------------------


def test_control_characters_are_cleaned_and_markup_is_shown_as_text(client, users, meeting):
    client.force_login(users["planning"])
    data = form_data(
        meeting,
        agenda="議題\x0b1\x1b",
        attendees="<b>阿見</b>\u2028筑波",
        minutes='<script>alert("x")</script>\x07',
    )
    assert client.post(edit_url(meeting), data).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.agenda, meeting.attendees) == ("議題\n1", "<b>阿見</b>\n筑波")
    assert meeting.minutes == '<script>alert("x")</script>'
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<li>&lt;b&gt;阿見&lt;/b&gt;</li><li>筑波</li>" in html


@pytest.mark.parametrize(
    "field, limit, label",
    [("agenda", 4000, "議題"), ("attendees", 4000, "出席者"), ("minutes", 50_000, "議事要旨")],
)
def test_a_text_at_its_limit_is_kept_and_one_character_more_is_refused_naming_the_field(
    client, users, meeting, field, limit, label
):
    client.force_login(users["planning"])
    too_long = client.post(edit_url(meeting), form_data(meeting, **{field: "あ" * (limit + 1)}))
    html = too_long.content.decode()
    message = f"{label}は{limit:,}文字以内で入力してください（現在{limit + 1}文字）。"
    assert too_long.status_code == 400 and html.count(message) == 1
    assert client.post(edit_url(meeting), form_data(meeting, **{field: "あ" * limit})).status_code == 302
    meeting.refresh_from_db()
    assert len(getattr(meeting, field)) == limit


def test_a_nul_character_is_refused_with_a_message_naming_it(client, users, meeting):
    client.force_login(users["planning"])
    response = client.post(edit_url(meeting), form_data(meeting, minutes="要旨\x00"))
    assert response.status_code == 400 and "NUL文字" in response.content.decode()


# --- The admin ---------------------------------------------------------------------------------------


def test_the_admin_shows_the_file_read_only_and_removes_it_with_the_reason(client, users, meeting):
    from django.contrib.auth.models import User

    from tests.support.admin_forms import form_data as admin_form

    client.force_login(users["planning"])
    attach(client, meeting, name="管理画面.pdf")
    root = User.objects.create_superuser("root", "root@example.jp", "root-pass-4821")
    client.force_login(root)
    url = reverse("admin:reviews_meeting_change", args=[meeting.pk])
    page = client.get(url).content.decode()
    assert "管理画面.pdf" in page and 'name="document-0-filename"' not in page
    data = admin_form(page, form_id="meeting_form")
    data["document-0-DELETE"] = "on"
    response = client.post(url, {**data, "change_reason": "誤って添付"})
    assert response.status_code == 302
    assert not MeetingDocument.objects.exists()
    gone = MeetingDocument.history.filter(history_type="-").get()
    assert (gone.history_user, gone.history_change_reason) == (root, "誤って添付")
