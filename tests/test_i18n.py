"""The English catalogue: complete, compiled, and what a user who switches to English sees."""

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


def parse_po(text: str) -> list[dict]:
    """The entries of a .po file: msgctxt/msgid/msgid_plural, msgstr (key None) or msgstr[n], flags.

    Obsolete (#~) entries are left out; strings may run over several quoted lines.
    """
    entries, entry, key = [], None, None

    def close():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            close()
            entry, key = None, None
            continue
        if entry is None:
            entry = {"line": number, "flags": set(), "msgstr": {}}
        key = _parse_po_line(entry, key, stripped, number)
    close()
    return entries


def _parse_po_line(entry: dict, key: tuple | None, stripped: str, number: int) -> tuple | None:
    """Read one non-blank line into `entry`; the key a following quoted line continues (it may be unchanged).

    A key is (keyword, None) for msgctxt/msgid/msgid_plural/msgstr, or ("msgstr", n) for msgstr[n].
    """
    if stripped.startswith("#~"):
        return key
    if stripped.startswith("#,"):
        entry["flags"].update(flag.strip() for flag in stripped[2:].split(","))
        return key
    if stripped.startswith("#"):
        return key
    if stripped.startswith('"'):
        _continue_po_string(entry, key, ast.literal_eval(stripped))
        return key
    keyword, _space, rest = stripped.partition(" ")
    return _start_po_string(entry, keyword, ast.literal_eval(rest), number)


def _continue_po_string(entry: dict, key: tuple, value: str) -> None:
    """A quoted continuation line: append it to the string `key` names."""
    if key[0] == "msgstr":
        entry["msgstr"][key[1]] += value
    else:
        entry[key[0]] += value


def _start_po_string(entry: dict, keyword: str, value: str, number: int) -> tuple:
    """A keyword line (msgctxt, msgid, msgid_plural, msgstr, msgstr[n]): store its string; the new key."""
    if keyword.startswith("msgstr["):
        key = ("msgstr", int(keyword[len("msgstr[") : -1]))
        entry["msgstr"][key[1]] = value
    elif keyword == "msgstr":
        key = ("msgstr", None)
        entry["msgstr"][None] = value
    elif keyword in ("msgctxt", "msgid", "msgid_plural"):
        key = (keyword, None)
        entry[keyword] = value
    else:
        raise ValueError(f"line {number}: unexpected {keyword!r}")
    return key


@pytest.fixture(scope="module")
def catalogue() -> list[dict]:
    return [e for e in parse_po(PO.read_text(encoding="utf-8")) if e["msgid"] != ""]


def test_the_parser_reads_multi_line_and_plural_entries():
    text = (
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#, fuzzy, python-format\nmsgid ""\n"長い"\n"文"\nmsgstr "A long "\n"sentence"\n\n'
        'msgid "%(n)s件"\nmsgid_plural "%(n)s件"\nmsgstr[0] "%(n)s item"\nmsgstr[1] ""\n\n'
        '#~ msgid "古い"\n#~ msgstr ""\n'
    )
    header, long, plural = parse_po(text)
    assert header["msgstr"][None] == "Language: en\n"
    assert (long["msgid"], long["msgstr"][None], long["flags"]) == (
        "長い文",
        "A long sentence",
        {"fuzzy", "python-format"},
    )
    assert plural["msgid_plural"] == "%(n)s件" and plural["msgstr"] == {0: "%(n)s item", 1: ""}


def test_the_english_catalogue_has_a_translation_for_every_entry(catalogue):
    assert len(catalogue) > 500
    empty = [(e["line"], e["msgid"]) for e in catalogue if not all(e["msgstr"].values()) or not e["msgstr"]]
    assert empty == []


def test_plural_entries_have_both_english_forms(catalogue):
    plurals = [e for e in catalogue if "msgid_plural" in e]
    assert plurals
    assert all(set(e["msgstr"]) == {0, 1} for e in plurals)


def test_the_english_catalogue_has_no_fuzzy_entries():
    entries = parse_po(PO.read_text(encoding="utf-8"))
    assert [(e["line"], e["msgid"]) for e in entries if "fuzzy" in e["flags"]] == []


def test_translations_use_only_their_msgids_placeholders(catalogue):
    """Django fills the msgid's names: an unknown name in a msgstr would raise KeyError on the page."""
    wrong = []
    for e in catalogue:
        allowed = set(PLACEHOLDER.findall(e["msgid"] + e.get("msgid_plural", "")))
        if e["msgid"] == "%(year)s年度（%(wareki)s）":
            allowed.add("era_en")  # lib.fiscal passes the romanised era for the English label
        if e["msgid"] == "%(year)s年%(month)s月%(day)s日（%(wareki)s）":
            allowed.add("month_en")  # lib.fiscal.date_label passes the month's English name
        for text in e["msgstr"].values():
            if not set(PLACEHOLDER.findall(text)) <= allowed:
                wrong.append((e["msgid"], text))
    assert wrong == []


def test_the_fiscal_year_label_reads_fy_and_the_romanised_era(catalogue):
    (label,) = [e for e in catalogue if e["msgid"] == "%(year)s年度（%(wareki)s）"]
    assert label["msgstr"][None] == "FY%(year)s (%(era_en)s)"


def test_the_committed_mo_file_is_compiled_from_the_committed_po(tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("GNU gettext's msgfmt is not installed, so the .mo cannot be rebuilt to compare")
    rebuilt = tmp_path / "django.mo"
    # The same options as `manage.py compilemessages`.
    subprocess.run([msgfmt, "--check-format", "-o", str(rebuilt), str(PO)], check=True, capture_output=True)
    assert MO.exists(), "run: python manage.py compilemessages -l en"
    assert MO.read_bytes() == rebuilt.read_bytes(), (
        "django.mo is stale: run python manage.py compilemessages -l en"
    )


@pytest.fixture
def english_council(client, plan, users):
    client.force_login(users["council"])
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    return client


JAPANESE_CHROME = ["本文へ移動", "ログアウト", "指標一覧", "表示言語", "茨城県阿見町"]


def test_the_home_page_in_english_has_english_headings_and_japanese_plan_text(english_council):
    html = english_council.get(reverse("dashboards:home") + "?fy=2025").content.decode()
    assert '<html lang="en">' in html
    for text in [
        "Basic goal 1",
        "FY2025 (Reiwa 7)",
        "KGI (key goal indicator) status",
        "Skip to main content",
    ]:
        assert text in html
    assert "あみらしい多様な働き方ができるまち" in html
    assert [word for word in JAPANESE_CHROME if word in html] == []


def test_a_goal_page_in_english_keeps_the_goal_title_in_japanese(english_council):
    html = english_council.get(reverse("dashboards:goal", args=["G1"]) + "?fy=2025").content.decode()
    assert '<html lang="en">' in html
    for text in ["Basic goal 1", "Progress in FY2025 (Reiwa 7)", "KPI grades by measure", "Expected value"]:
        assert text in html
    assert "あみらしい多様な働き方ができるまち" in html
    assert [word for word in JAPANESE_CHROME + ["施策の方向別", "期待値"] if word in html] == []


def test_an_indicator_page_in_english_shows_english_labels_and_the_japanese_indicator_name(english_council):
    html = english_council.get(
        reverse("dashboards:indicator", args=["G2-KGI1"]) + "?fy=2025"
    ).content.decode()
    assert '<html lang="en">' in html
    for text in ["Basic goal 2", "Higher is better", "Actuals and grades by fiscal year", "FY2025 (Reiwa 7)"]:
        assert text in html
    assert "社会増数" in html and "魅力を発信し、新たな人の流れをつくるまち" in html
    assert [word for word in JAPANESE_CHROME + ["年度別の実績と評価", "高いほど良い"] if word in html] == []


def test_without_a_language_choice_the_interface_is_japanese(client, plan, users):
    client.force_login(users["council"])
    html = client.get(reverse("dashboards:goal", args=["G1"]) + "?fy=2025").content.decode()
    assert '<html lang="ja">' in html
    assert "基本目標1" in html and "2025年度（令和7年度）" in html and "本文へ移動" in html
    assert "Basic goal" not in html and "FY2025" not in html


def test_switching_back_to_japanese_restores_the_japanese_interface(english_council):
    english_council.post(reverse("set_language"), {"language": "ja", "next": "/"})
    html = english_council.get(reverse("dashboards:home") + "?fy=2025").content.decode()
    assert '<html lang="ja">' in html and "本文へ移動" in html and "Skip to main content" not in html
