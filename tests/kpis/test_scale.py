"""A strategy's grade scale shows each band's name and description in the page's language."""

from decimal import Decimal
from types import SimpleNamespace

from django.utils import translation

from kpis.rules.achievement import NOT_EVALUABLE
from kpis.rules.scale import DEFAULT_GRADES, Scale


def band(label, name, name_en="", description="", description_en="", lower_bound=None):
    return SimpleNamespace(
        label=label,
        name=name,
        name_en=name_en,
        lower_bound=lower_bound,
        description=description,
        description_en=description_en,
        colour="#1a7f37",
    )


def test_the_default_scale_names_its_grades_in_the_page_language():
    scale = Scale.from_rows([])
    with translation.override("ja"):
        assert [scale.name_of(g.label) for g in DEFAULT_GRADES] == ["順調", "概ね順調", "やや遅れ", "遅れ"]
        assert scale.name_of(NOT_EVALUABLE) == "評価不能"
        assert DEFAULT_GRADES[0].shown_description == "達成率100％以上"
    with translation.override("en"):
        assert [scale.name_of(g.label) for g in DEFAULT_GRADES] == [
            "On track",
            "Mostly on track",
            "Slightly behind",
            "Behind",
        ]
        assert scale.name_of(NOT_EVALUABLE) == "Not evaluable"
        assert DEFAULT_GRADES[3].shown_description == "Achievement rate less than 50%"


def test_stored_bands_show_their_english_texts_or_fall_back_to_the_japanese_ones():
    scale = Scale.from_rows(
        [
            band("◎", "達成", "Achieved", "目標以上", "At or above target", Decimal(100)),
            band("×", "未達成", description="目標未満"),
        ]
    )
    with translation.override("en"):
        assert [(g.shown_name, g.shown_description) for g in scale.grades] == [
            ("Achieved", "At or above target"),
            ("未達成", "目標未満"),
        ]
        assert scale.name_of("◎") == "Achieved" and scale.name_of("?") == ""
    with translation.override("ja"):
        assert [g.shown_name for g in scale.grades] == ["達成", "未達成"]
        # The stored (Japanese) texts stay what they are, whatever the language.
        assert [g.name for g in scale.grades] == ["達成", "未達成"]
