"""The English catalogue: complete, compiled, and what a user who switches to English sees."""

import ast
import re
import shutil
import subprocess
from decimal import Decimal
from html import unescape
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
        if e["msgid"] in ("%(year)s年%(month)s月%(day)s日（%(wareki)s）", "%(year)s年%(month)s月%(day)s日"):
            allowed.add("month_en")  # lib.fiscal's date labels pass the month's English name
        if e["msgid"] == "%(wareki)sデータ":
            allowed.add("year")  # lib.fiscal.data_period_label passes the Western year for the English label
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


# --- English pages carry no Japanese interface text -----------------------------------------------------

# Hiragana, katakana, CJK ideographs, CJK punctuation (「」、。・) and full-width forms (（）：／).
JAPANESE = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff5e]")
HIDDEN = re.compile(r"<(script|style)\b.*?</\1>|<!--.*?-->", re.S | re.I)
# Interface text people read outside the text nodes: labels for screen readers, tooltips, placeholders.
SPOKEN = re.compile(r'\s(?:aria-label|title|alt|placeholder)="([^"]*)"')
TYPED_REASON = "数値の誤りを訂正（担当課から連絡）"
# The language switch names each language in itself, as language menus do.
ALLOWED = ["日本語"]


def visible_text(html: str) -> str:
    """The page's text as people read or hear it: text nodes and the spoken attributes, without scripts."""
    html = HIDDEN.sub(" ", html)
    spoken = " ".join(SPOKEN.findall(html))
    return unescape(re.sub(r"<[^>]+>", " ", html) + " " + spoken)


def data_texts() -> list[str]:
    """Every text stored as data that may stay Japanese on an English page (the plan's titles, names, units,
    notes, opinions, people's names, typed reasons…), longest first. The grade bands' names are not in it:
    they have English ones."""
    from django.apps import apps
    from django.contrib.auth.models import User
    from django.db import models

    found = {TYPED_REASON}
    kinds = [m for app in ("goals", "kpis", "reviews") for m in apps.get_app_config(app).get_models()]
    for model in [*kinds, User]:
        if model._meta.label_lower == "kpis.gradeband" or model.__name__.startswith("Historical"):
            continue
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField) and not f.choices
        ]
        for row in model._default_manager.values_list(*fields) if fields else []:
            found.update(value for value in row if isinstance(value, str) and JAPANESE.search(value))
    found.update(u.get_full_name() for u in User.objects.all())
    texts = {line.strip() for text in found for line in [text, *text.splitlines()] if line.strip()}
    return sorted(texts, key=len, reverse=True)


def without_data(text: str, data: list[str]) -> str:
    for value in data:
        if len(value) > 1:
            text = text.replace(value, " ")
        else:
            # A one-character unit (人, 点, 件) only after a figure or a space and before a space: not a
            # character inside a longer Japanese text.
            text = re.sub(rf"(?<=[\d\s]){re.escape(value)}(?=[\s)]|$)", " ", text)
    return text


def japanese_left(text: str) -> list[str]:
    """The Japanese fragments left, each with a little English around it to find it by."""
    text = re.sub(r"\s+", " ", text)
    for allowed in ALLOWED:
        text = text.replace(allowed, " ")
    runs = re.finditer(f"{JAPANESE.pattern}+", text)
    return sorted({text[max(m.start() - 12, 0) : m.end() + 12].strip() for m in runs})


@pytest.fixture
def demo_in_english(client, settings, django_user_model):
    """The demo-sized data (load_plan, load_demo) with a meeting, opinions, a response, an approval, a return,
    a new deadline and a typed reason, written by people who read English; the planning office's client
    in English."""
    import datetime
    import os

    from django.core.management import call_command
    from django.utils import translation

    from goals.models import Goal, Strategy
    from kpis.cycle import services as cycle
    from kpis.models import FiscalYear, Indicator, Submission
    from reviews import services as reviews
    from reviews.models import Meeting, Opinion

    settings.DEBUG = True  # load_demo refuses to run otherwise
    with open(os.devnull, "w") as quiet:
        call_command("load_plan", verbosity=0, stdout=quiet)
        call_command("load_demo", stdout=quiet)
    planning = django_user_model.objects.get(username="demo-planning")
    council = django_user_model.objects.get(username="demo-council")
    strategy = Strategy.objects.get()
    with translation.override("en"):
        meeting = reviews.meeting_create(
            user=planning,
            strategy=strategy,
            meeting=Meeting(
                name="令和7年度第1回創生有識者会議", date=datetime.date(2026, 7, 15), fiscal_year=2025
            ),
        )
        reviews.meeting_update(
            user=planning,
            pk=meeting.pk,
            changes={"agenda": "令和7年度の効果検証について", "attendees": "有識者A\n有識者B"},
            seen=reviews.meeting_marker(meeting, None),
        )
        opinion = reviews.opinion_create(
            user=council,
            meeting=meeting,
            opinion=Opinion(
                speaker="有識者A", text="満足度の向上策を示してほしい。", goal=Goal.objects.get(code="G3")
            ),
        )
        reviews.opinion_create(
            user=council,
            meeting=meeting,
            opinion=Opinion(
                speaker="有識者B",
                text="把握方法を教えてほしい。",
                indicator=Indicator.objects.get(code="G2-KGI2"),
            ),
        )
        reviews.opinion_respond(
            user=planning,
            pk=opinion.pk,
            response="次年度に調査を拡充します。",
            follow_up="in_progress",
            follow_up_reason="",
            seen=reviews.opinion_marker(opinion),
        )
        first, second = Submission.objects.filter(state=Submission.State.SUBMITTED, fiscal_year=2025)[:2]
        cycle.submission_approve(user=planning, submission=first)
        cycle.submission_return(user=planning, submission=second, comment="数値を確認してください。")
        year = FiscalYear.objects.get(strategy=strategy, year=2025)
        cycle.fiscal_year_set_deadline(
            user=planning, fiscal_year=year, deadline=year.deadline + datetime.timedelta(days=7)
        )
        indicator = Indicator.objects.get(code="G2-KGI1")
        cycle.indicator_update(
            user=planning,
            indicator=indicator,
            changes={"note": indicator.note},
            expected={2026: Decimal("420")},
            marker=cycle.indicator_marker(indicator),
            reason=TYPED_REASON,
        )
    client.force_login(planning)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client, meeting


def english_pages(meeting) -> list[str]:
    return [
        reverse("dashboards:home"),
        reverse("dashboards:goal", args=["G1"]),
        reverse("dashboards:indicators"),
        reverse("dashboards:indicator", args=["G2-KGI1"]),
        reverse("dashboards:department", args=["kodomo"]),
        reverse("reviews:meetings"),
        reverse("reviews:meeting", args=[meeting.pk]),
        reverse("cycle:entry_index"),
        reverse("cycle:review_index"),
        reverse("cycle:fiscal_years"),
        reverse("excel:reports"),
        reverse("office:audit"),
        reverse("office:grade_bands"),
        reverse("reviews:evaluations", args=[2025]),
        reverse("reviews:meeting_edit", args=[meeting.pk]),
        reverse("reviews:opinions"),
        reverse("reviews:opinion_new") + "?goal=G1",
    ]


def test_english_pages_carry_no_japanese_interface_text(demo_in_english):
    client, meeting = demo_in_english
    data = data_texts()
    left = {}
    for url in english_pages(meeting):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert '<html lang="en">' in html, url
        page_data = data
        if url in (reverse("office:audit"), reverse("office:grade_bands")):
            # The log shows the bands' Japanese names as the values they changed from and to.
            page_data = sorted({*data, *GRADE_BAND_TEXTS}, key=len, reverse=True)
        fragments = japanese_left(without_data(visible_text(html), page_data))
        if fragments:
            left[url] = fragments
    assert left == {}, "\n".join(f"{url}: {fragment}" for url, found in left.items() for fragment in found)


def test_the_sign_in_page_in_english_carries_no_japanese(client, plan):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in html
    assert japanese_left(without_data(visible_text(html), data_texts())) == []


GRADE_BAND_TEXTS = [
    "順調",
    "概ね順調",
    "やや遅れ",
    "遅れ",
    "達成率100％以上",
    "達成率80％以上100％未満",
    "達成率50％以上80％未満",
    "達成率50％未満",
]


def test_visible_text_reads_text_and_spoken_labels_but_no_scripts():
    html = (
        '<p title="題名">本文 &amp; more</p><script>var a = "スクリプト";</script>'
        '<style>p::after{content:"様式"}</style><!-- 注釈 --><img alt="画像" src="x">'
    )
    text = visible_text(html)
    assert all(word in text for word in ["題名", "本文 & more", "画像"])
    assert not any(word in text for word in ["スクリプト", "様式", "注釈"])
    left = japanese_left(without_data("FY2025 12 人 （Baseline）", ["人"]))
    assert left and not any("人" in fragment for fragment in left)
