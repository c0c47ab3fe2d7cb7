"""A backup restores every value, history row and opinion."""

import datetime
import errno
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from goals.models import Strategy
from kpis.models import ActualValue
from maintenance.management.commands import backup_data
from reports.models import PackBuild
from reviews.models import Meeting, Opinion
from tests.support.factories import set_actual

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot():
    """Every row of every table the backup covers, by model."""
    tables = {}
    for model in apps.get_models():
        if (
            model._meta.app_label in ("goals", "kpis", "reviews", "auth")
            and model._meta.model_name != "permission"
            and model._meta.label_lower not in backup_data.EXCLUDE
        ):
            tables[model._meta.label] = sorted(map(repr, map(_comparable, model.objects.values())))
    return tables


def _comparable(row: dict) -> dict:
    """A row whose binary column (PostgreSQL reads a memoryview, whose repr is its address) shows its bytes."""
    return {name: bytes(value) if isinstance(value, memoryview) else value for name, value in row.items()}


def test_a_restore_gives_back_every_value_history_row_and_opinion(plan, users, tmp_path):
    set_actual("G2-KGI1", 2025, 400, note="転入超過")
    actual = set_actual("G2-KGI1", 2025, 420, note="修正")
    meeting = Meeting.objects.create(
        strategy=plan, fiscal_year=2025, name="令和7年度第1回創生有識者会議", date=datetime.date(2026, 7, 1)
    )
    Opinion.objects.create(
        strategy=plan,
        fiscal_year=2025,
        meeting=meeting,
        speaker="有識者A",
        text="意見",
        author=users["council"],
    )
    before = snapshot()
    assert ActualValue.history.filter(id=actual.pk).count() == 2

    backup = tmp_path / "backup.xml.gz"
    call_command("backup_data", output=str(backup), stdout=open(tmp_path / "out", "w"))
    call_command("flush", interactive=False, verbosity=0)
    assert not Strategy.objects.exists() and not Opinion.objects.exists()

    call_command("restore_data", str(backup), stdout=open(tmp_path / "out", "w"))
    assert snapshot() == before
    assert ActualValue.history.filter(id=actual.pk).count() == 2


def test_a_restore_gives_back_which_goals_serve_each_vision_and_the_history_of_the_links(plan, tmp_path):
    from goals.models import Goal, Vision

    vision = Vision.objects.get(number=2)
    vision._change_reason = "図の見直し"
    vision.goals.remove(Goal.objects.get(code="G4"))

    def links():
        return {v.number: sorted(v.goals.values_list("code", flat=True)) for v in Vision.objects.all()}

    def link_history():
        return sorted(
            (row.history_id, row.history_change_reason, sorted(m.goal_id for m in row.goals.all()))
            for row in Vision.history.all()
        )

    before, history_before = links(), link_history()
    assert before == {1: ["G1", "G2", "G3", "G4"], 2: ["G1", "G2", "G3"], 3: ["G1", "G2", "G3", "G4"]}
    backup = tmp_path / "backup.xml.gz"
    call_command("backup_data", output=str(backup), stdout=open(tmp_path / "out", "w"))
    call_command("flush", interactive=False, verbosity=0)
    assert not Vision.goals.through.objects.exists()

    call_command("restore_data", str(backup), stdout=open(tmp_path / "out", "w"))
    assert links() == before
    assert link_history() == history_before


def test_a_restore_gives_back_a_meetings_record_and_its_attached_file_byte_for_byte(plan, users, tmp_path):
    from reviews import services
    from reviews.documents import check_document
    from tests.support.documents import docx_bytes

    meeting = Meeting.objects.create(
        strategy=plan,
        fiscal_year=2025,
        name="令和7年度第1回創生有識者会議",
        date=datetime.date(2026, 7, 1),
        agenda="1. 効果検証\n2. その他",
        attendees="阿見 一郎（茨城大学）\n筑波 花子（常陽銀行）",
        minutes="社会増数について意見があった。",
    )
    data = docx_bytes()  # a Word file: a zip whose bytes must come back exactly
    services.document_attach(
        user=users["planning"], meeting=meeting, document=check_document("議事要旨.docx", data), stored=None
    )
    services.document_remove(user=users["planning"], document=meeting.document)
    services.document_attach(
        user=users["planning"], meeting=meeting, document=check_document("議事要旨.docx", data), stored=None
    )
    # A pack made for the meeting is a copy of the data, made again on demand: not backed up.
    PackBuild.objects.create(
        meeting=meeting,
        paper="a4",
        language="ja",
        data_version="kept.1",
        day=datetime.date(2026, 7, 1),
        started_at=timezone.now(),
        alive_at=timezone.now(),
        status=PackBuild.Status.DONE,
        pdf=b"%PDF-kept",
    )
    before = snapshot()
    backup = tmp_path / "backup.xml.gz"
    call_command("backup_data", output=str(backup), stdout=open(tmp_path / "out", "w"))
    call_command("flush", interactive=False, verbosity=0)

    call_command("restore_data", str(backup), stdout=open(tmp_path / "out", "w"))
    assert snapshot() == before
    assert not PackBuild.objects.exists()
    restored = Meeting.objects.get(pk=meeting.pk)
    assert restored.attendee_list == ["阿見 一郎（茨城大学）", "筑波 花子（常陽銀行）"]
    assert bytes(restored.document.data) == data
    history = restored.document.history.model.objects.filter(meeting_id=meeting.pk).order_by("history_id")
    assert [row.history_type for row in history] == ["+", "-", "+"]


def test_restoring_over_a_loaded_plan_is_refused(plan, tmp_path):
    backup = tmp_path / "backup.xml"
    call_command("backup_data", output=str(backup), stdout=open(tmp_path / "out", "w"))
    with pytest.raises(Exception, match="既に計画があります"):
        call_command("restore_data", str(backup))


# --- Faults: the backup is written whole or not at all; a bad file never reaches the database ----------


class FailingStream(io.TextIOBase):
    """A backup stream that fails once `limit` characters have been written, as a full disk would."""

    def __init__(self, real, limit: int, error: BaseException):
        self.real, self.limit, self.error, self.written = real, limit, error, 0

    def write(self, text):
        self.written += len(text)
        if self.written > self.limit:
            raise self.error
        return self.real.write(text)

    def isatty(self):
        return False

    def close(self):
        self.real.close()
        super().close()


def failing_after(monkeypatch, limit: int, error: BaseException):
    real_open = backup_data.open_output
    monkeypatch.setattr(
        backup_data,
        "open_output",
        lambda path, compressed: FailingStream(real_open(path, compressed), limit, error),
    )


def backup(path, **kwargs):
    out, err = io.StringIO(), io.StringIO()
    call_command("backup_data", output=str(path), stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    "error, message",
    [
        (OSError(errno.ENOSPC, "No space left on device"), "ディスクの空き容量が足りないため"),
        (RuntimeError("connection lost"), "バックアップを作成できませんでした"),
    ],
)
@pytest.mark.parametrize("name", ["backup.xml.gz", "backup.xml"])
def test_a_backup_that_fails_midway_leaves_the_earlier_backup_intact_and_no_partial_file(
    plan, tmp_path, monkeypatch, error, message, name
):
    target = tmp_path / name
    backup(target)
    earlier = target.read_bytes()
    failing_after(monkeypatch, 20_000, error)
    with pytest.raises(CommandError, match=message) as refused:
        backup(target)
    assert "以前のバックアップはそのまま残っています" in str(refused.value)
    assert target.read_bytes() == earlier
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_an_interrupted_backup_leaves_no_file_where_there_was_none(plan, tmp_path, monkeypatch):
    failing_after(monkeypatch, 20_000, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        backup(tmp_path / "backup.xml.gz")
    assert list(tmp_path.iterdir()) == []


def test_a_backup_into_a_missing_folder_says_so(plan, tmp_path):
    with pytest.raises(CommandError, match="保存先のフォルダがありません"):
        backup(tmp_path / "nowhere" / "backup.xml")


def test_control_characters_stored_earlier_do_not_stop_the_backup_and_are_named(plan, users, tmp_path):
    actual = set_actual("G2-KGI1", 2025, 400, note="転入超過")
    meeting = Meeting.objects.create(
        strategy=plan, fiscal_year=2025, name="会議", date=datetime.date(2026, 7, 1)
    )
    opinion = Opinion.objects.create(
        strategy=plan, fiscal_year=2025, meeting=meeting, speaker="A", text="意見"
    )
    # Stored before text was cleaned on input (update() passes no validator, like the old paths did).
    ActualValue.objects.filter(pk=actual.pk).update(note="一行目\x0b二行目\x1b[0m")
    Opinion.objects.filter(pk=opinion.pk).update(text="意見\x1b")
    before = snapshot()

    target = tmp_path / "backup.xml.gz"
    out, err = backup(target)
    assert "バックアップを作成しました" in out
    assert f"kpis.ActualValue pk={actual.pk} note" in err and f"reviews.Opinion pk={opinion.pk} text" in err
    assert "データベースの値は変更していません" in err
    assert (
        ActualValue.objects.get(pk=actual.pk).note == "一行目\x0b二行目\x1b[0m"
    )  # the database is untouched

    call_command("flush", interactive=False, verbosity=0)
    call_command("restore_data", str(target), stdout=io.StringIO())
    assert ActualValue.objects.get(pk=actual.pk).note == "一行目\n二行目[0m"
    assert Opinion.objects.get(pk=opinion.pk).text == "意見"
    after = snapshot()
    assert {k: v for k, v in after.items() if k not in ("kpis.ActualValue", "reviews.Opinion")} == {
        k: v for k, v in before.items() if k not in ("kpis.ActualValue", "reviews.Opinion")
    }


def truncated(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def corrupted(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name", ["backup.xml.gz", "backup.xml"])
@pytest.mark.parametrize("damage", [truncated, corrupted])
def test_restoring_a_damaged_backup_is_refused_and_changes_nothing(plan, users, tmp_path, name, damage):
    target = tmp_path / name
    backup(target)
    damage(target)
    set_actual("G2-KGI1", 2025, 400)
    before = snapshot()
    with pytest.raises(CommandError, match="壊れているか、途中で切れています"):
        call_command("restore_data", str(target), force=True)
    assert snapshot() == before


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"code,value\nG1-KGI1,1\n",
        b"<html><body>not a backup</body></html>",
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><django-objects>&a;</django-objects>',
        b'<?xml version="1.0"?><django-objects version="1.0"></django-objects>',
        b'<?xml version="1.0"?><django-objects version="1.0"><object model="nope.nothing" pk="1">'
        b"</object></django-objects>",
    ],
)
def test_restoring_a_file_that_is_not_a_backup_is_refused_with_a_message(plan, tmp_path, content):
    target = tmp_path / "backup.xml"
    target.write_bytes(content)
    before = snapshot()
    with pytest.raises(CommandError) as refused:
        call_command("restore_data", str(target), force=True)
    message = str(refused.value)
    assert "バックアップ" in message and "Traceback" not in message
    assert snapshot() == before


def test_a_restore_that_fails_while_loading_changes_nothing(plan, users, tmp_path):
    target = tmp_path / "backup.xml"
    backup(target)
    # A well-formed backup whose records no longer fit (a plan row without its required name).
    text = target.read_text(encoding="utf-8").replace(
        '<field name="name" type="CharField">', '<field name="nonexistent" type="CharField">', 1
    )
    target.write_text(text, encoding="utf-8")
    set_actual("G2-KGI1", 2025, 400)
    before = snapshot()
    with pytest.raises(CommandError, match="復元できませんでした。データベースは変更していません"):
        call_command("restore_data", str(target), force=True)
    assert snapshot() == before
