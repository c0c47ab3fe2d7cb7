"""The 第３期 plan loads exactly as the document states it."""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from goals.models import Goal, Measure, Policy, Strategy, Vision
from kpis.loading.plan_file import PlanFormatError, load_plan
from kpis.models import FiscalYear, GradeBand, Indicator, Kind, Placement
from kpis.rules.achievement import Direction

pytestmark = pytest.mark.django_db

KGIS = {
    # code: (name, unit, baseline, target, source mark, source)
    "G1-KGI1": (
        "実質町内総生産（年間）",
        "百万円",
        "277835",
        "284394",
        "※１",
        "令和3年度茨城県市町村民経済計算",
    ),
    "G2-KGI1": (
        "社会増数",
        "人／年",
        "568",
        "339",
        "※２",
        "茨城県常住人口調査 年報（令和５年） 社会増数（転入－転出）",
    ),
    "G2-KGI2": (
        "観光入込客数",
        "千人",
        "3026",
        "3463",
        "※３",
        "茨城の観光レクリエ－ション現況（令和５（2023）年観光客動態調査報告）",
    ),
    "G3-KGI1": (
        "子育て世代の人口（25-39歳）",
        "人",
        "8339",
        "8595",
        "※４",
        "茨城県常住人口調査 年齢別四半期報（令和６年10月1日現在）",
    ),
    "G3-KGI2": ("子育て支援の満足度", "点", "3.19", "3.44", "※５", "町民意向調査（令和４年６月実施）"),
    "G4-KGI1": (
        "住みやすいと感じている町民の割合",
        "％",
        "85.6",
        "89.9",
        "※５",
        "町民意向調査（令和４年６月実施）",
    ),
}


def test_the_plan_has_its_name_years_and_visions(plan):
    assert plan.name == "第３期阿見町まち・ひと・しごと創生総合戦略"
    assert (plan.first_year, plan.last_year, plan.baseline_year) == (2025, 2027, 2024)
    assert plan.plan_years == [2025, 2026, 2027]
    assert list(Vision.objects.values_list("theme", "title")) == [
        ("子育て", "若者・子育て世代に選ばれる５万人都市"),
        ("暮らし", "暮らし続けることができる持続可能な都市"),
        ("誇り・愛着", "人とまちへの誇り・愛着が育つ共生都市"),
    ]


def test_the_plan_has_the_exact_counts_of_the_document(plan):
    assert Goal.objects.count() == 4
    assert Indicator.objects.filter(kind=Kind.KGI).count() == 6
    assert Measure.objects.count() == 13
    assert Policy.objects.count() == 38
    assert Indicator.objects.filter(kind=Kind.KPI).count() == 42
    assert Placement.objects.count() == 43
    assert [g.measures.count() for g in Goal.objects.order_by("number")] == [3, 3, 3, 4]


def test_goals_carry_their_titles_and_descriptions(plan):
    g1 = Goal.objects.get(code="G1")
    assert g1.title == "あみらしい多様な働き方ができるまち"
    assert g1.description.startswith("町民がライフスタイルに合った働き方を選択できるよう、")
    assert (
        Goal.objects.get(code="G3").title == "まちぐるみで妊婦・子育て家庭を支え、若者や女性が活躍できるまち"
    )


@pytest.mark.parametrize("code", sorted(KGIS))
def test_every_kgi_has_the_documents_numbers_unit_and_source(plan, code):
    name, unit, baseline, target, mark, source = KGIS[code]
    kgi = Indicator.objects.get(code=code)
    assert kgi.kind == Kind.KGI
    assert kgi.name == name
    assert kgi.unit == unit
    assert (kgi.baseline_year, kgi.baseline_value) == (2024, Decimal(baseline))
    assert (kgi.target_year, kgi.target_value) == (2027, Decimal(target))
    assert (kgi.source_mark, kgi.source_note) == (mark, source)
    assert kgi.goal.code == code.split("-")[0]


def test_kpis_have_no_baseline_or_target_until_the_planning_office_enters_them(plan):
    kpis = Indicator.objects.filter(kind=Kind.KPI)
    assert not kpis.exclude(baseline_value=None).exists()
    assert not kpis.exclude(target_value=None).exists()


def test_the_reposted_kpi_is_one_indicator_in_two_places(plan):
    kpi = Indicator.objects.get(code="G1-M1-K1")
    assert kpi.name == "男女共同参画社会講演会・講座への参加者数"
    places = list(kpi.placements.order_by("policy__code").values_list("policy__code", "is_repost"))
    assert places == [("G1-M1-P1", False), ("G3-M2-P2", True)]
    repost = Policy.objects.get(code="G3-M2-P2")
    assert repost.title == "ワーク・ライフ・バランスの推進"
    assert repost.reposted_from.code == "G1-M1-P1"
    assert Indicator.objects.filter(name=kpi.name).count() == 1


def test_two_kpis_named_renkei_jigyo_su_are_distinct(plan):
    assert sorted(Indicator.objects.filter(name="連携事業数").values_list("code", flat=True)) == [
        "G4-M1-K3",
        "G4-M2-K1",
    ]


def test_kpi_codes_follow_document_order_across_a_measures_policies(plan):
    codes = list(
        Placement.objects.filter(policy__measure__code="G4-M3", is_repost=False)
        .order_by("policy__number", "order")
        .values_list("indicator__code", "indicator__name")
    )
    assert codes == [
        ("G4-M3-K1", "情報伝達（収集）手段の整備件数"),
        ("G4-M3-K2", "ごみ資源化率"),
        ("G4-M3-K3", "町民一人一日当たりのごみ排出量"),
        ("G4-M3-K4", "空地の雑草苦情による指導後の対応率"),
        ("G4-M3-K5", "空き家バンクの登録物件数"),
        ("G4-M3-K6", "耐震診断・改修に対する補助の件数"),
    ]


def test_waste_per_person_is_lower_is_better_and_the_rest_higher(plan):
    lower = set(Indicator.objects.filter(direction=Direction.LOWER).values_list("code", flat=True))
    assert lower == {"G4-M3-K3"}


def test_digital_policies_are_flagged(plan):
    digital = set(Policy.objects.filter(is_digital=True).values_list("code", flat=True))
    assert {"G2-M2-P1", "G3-M2-P1", "G4-M3-P1", "G4-M4-P1"} <= digital
    assert not Policy.objects.get(code="G1-M1-P1").is_digital


def test_text_has_no_pdf_line_breaks_or_stray_spaces(plan):
    texts = list(Indicator.objects.values_list("name", flat=True))
    texts += list(Policy.objects.values_list("title", flat=True))
    texts += list(Measure.objects.values_list("title", flat=True))
    texts += list(Goal.objects.values_list("title", flat=True))
    for text in texts:
        assert "\n" not in text and "  " not in text and text == text.strip(), text
    assert Indicator.objects.get(code="G4-M1-K2").name == "町民討議会参加者のうち10代・20代の参加者の割合"


def test_codes_are_unique(plan):
    for model in (Goal, Measure, Policy, Indicator):
        codes = list(model.objects.values_list("code", flat=True))
        assert len(codes) == len(set(codes)), model


def test_the_strategy_carries_the_default_grade_scale_and_its_fiscal_years(plan):
    assert list(GradeBand.objects.values_list("label", "lower_bound")) == [
        ("A", Decimal("100.0")),
        ("B+", Decimal("80.0")),
        ("B", Decimal("50.0")),
        ("C", None),
    ]
    assert list(FiscalYear.objects.values_list("year", flat=True)) == [2025, 2026, 2027]


def test_the_default_bands_carry_english_names_and_descriptions(plan):
    assert list(GradeBand.objects.values_list("label", "name", "name_en")) == [
        ("A", "順調", "On track"),
        ("B+", "概ね順調", "Mostly on track"),
        ("B", "やや遅れ", "Slightly behind"),
        ("C", "遅れ", "Behind"),
    ]
    assert GradeBand.objects.get(label="A").description_en == "Achievement rate 100% or more"


def _plan_data() -> dict:
    from django.conf import settings

    return json.loads((settings.BASE_DIR / "fixtures" / "plan_dai3ki.json").read_text(encoding="utf-8"))


def test_a_plan_file_may_give_its_own_grade_bands_with_english_names(db, tmp_path):
    data = _plan_data()
    data["grade_bands"] = [
        {"label": "◎", "name": "達成", "name_en": "Achieved", "lower_bound": "100", "colour": "#1a7f37"},
        {"label": "○", "name": "概ね達成", "lower_bound": 80, "description": "達成率80％以上"},
        {"label": "×", "name": "未達成", "name_en": "Not achieved", "lower_bound": None},
    ]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    load_plan(path)
    assert list(GradeBand.objects.values_list("label", "name", "name_en", "lower_bound")) == [
        ("◎", "達成", "Achieved", Decimal("100.0")),
        ("○", "概ね達成", "", Decimal("80.0")),
        ("×", "未達成", "Not achieved", None),
    ]


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ([{"label": "A", "name": "順調", "lower_bound": 100}], "ちょうど1つ"),
        ([{"label": "A", "lower_bound": None}], "grade band 1: 'name'"),
        (["A"], "grade band 1"),
        ([{"label": "A", "name": "順調", "lower_bound": "百"}], "数値ではありません"),
    ],
)
def test_grade_bands_a_plan_file_gives_wrongly_load_nothing(db, tmp_path, bands, message):
    data = _plan_data()
    data["grade_bands"] = bands
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(PlanFormatError, match=message):
        load_plan(path)
    assert not Strategy.objects.exists() and not GradeBand.objects.exists()


def test_loading_twice_changes_nothing(plan):
    before = {
        m: list(m.objects.order_by("pk").values()) for m in (Goal, Measure, Policy, Indicator, Placement)
    }
    out = io.StringIO()
    call_command("load_plan", stdout=out)
    assert "変更なし" in out.getvalue()
    after = {
        m: list(m.objects.order_by("pk").values()) for m in (Goal, Measure, Policy, Indicator, Placement)
    }
    assert before == after
    assert Indicator.history.count() == 48


def test_a_first_load_reports_only_additions(db):
    """Completing a 【再掲】 link between two policies created by the same load is not an update."""
    out = io.StringIO()
    call_command("load_plan", stdout=out)
    assert "更新 0 件" in out.getvalue()
    assert "更新:" not in out.getvalue()
    assert Policy.objects.filter(reposted_from__isnull=False).exists()


def test_reloading_keeps_the_planning_offices_edits_to_numbers_and_units(plan):
    kpi = Indicator.objects.get(code="G1-M1-K3")
    kpi.baseline_value, kpi.baseline_year, kpi.unit = Decimal("120"), 2024, "名"
    kpi.save()
    call_command("load_plan", stdout=io.StringIO())
    kpi.refresh_from_db()
    assert (kpi.baseline_value, kpi.unit) == (Decimal("120"), "名")


def test_a_broken_plan_file_loads_nothing(db, tmp_path):
    from django.conf import settings

    data = json.loads((settings.BASE_DIR / "fixtures" / "plan_dai3ki.json").read_text(encoding="utf-8"))
    data["goals"][3]["measures"][0]["policies"][0]["kpis"][0]["code"] = (
        "G1-M1-K1"  # a duplicate code, late in the file
    )
    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(PlanFormatError, match="G1-M1-K1"):
        load_plan(bad)
    assert not Strategy.objects.exists() and not Indicator.objects.exists()


def test_a_plan_file_that_is_not_json_gives_a_clear_error(db, tmp_path):
    bad = tmp_path / "plan.json"
    bad.write_bytes(b"\x89PNG not a plan")
    with pytest.raises(CommandError, match="計画ファイルを読めません"):
        call_command("load_plan", str(bad))
    assert not Strategy.objects.exists()
