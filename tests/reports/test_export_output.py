"""The export commands write their file or say in Japanese why they cannot; never a traceback."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def test_the_review_workbook_is_written_and_the_size_reported(plan, tmp_path):
    out = io.StringIO()
    target = tmp_path / "review.xlsx"
    call_command("export_review", "--fiscal-year", "2025", "--output", str(target), stdout=out)
    assert target.read_bytes()[:2] == b"PK"
    assert f"{target} を書き出しました（{target.stat().st_size:,} バイト）。" in out.getvalue()


def test_an_unwritable_path_is_a_message_not_a_traceback(plan, tmp_path):
    target = tmp_path / "no-such-folder" / "review.xlsx"
    with pytest.raises(CommandError, match="に書き込めません"):
        call_command("export_review", "--fiscal-year", "2025", "--output", str(target), stdout=io.StringIO())
    assert not target.exists()
