"""A strategy's grade scale (評価区分): the bands that grade, and the names and colours that show them.

One place for what a grade looks like, so that the web pages, the charts and the workbook agree: a
strategy's stored bands (GradeBand rows) when it has them, the plan's default scale otherwise. A band's
name and description are data in two languages: `shown_name` and `shown_description` give the English ones
while English is active (the Japanese ones when a band has no English text), the Japanese ones otherwise.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import get_language, gettext

from kpis.rules.achievement import DEFAULT_BANDS, NOT_EVALUABLE, Band
from lib.colours import text_colour_on

# The colour of 「−」 (評価不能) and of a label no band defines.
NEUTRAL_COLOUR = "#6e7781"


def in_page_language(japanese: str, english: str) -> str:
    """The English text while English is active and there is one; the Japanese text otherwise."""
    return english if english and (get_language() or "").split("-")[0] == "en" else japanese


@dataclass(frozen=True)
class Grade:
    """One band as people see it; distinguishable without colour, since the label is always shown.

    `name` and `description` are the Japanese texts as stored; pages show `shown_name`/`shown_description`.
    """

    label: str
    name: str
    lower_bound: Decimal | None
    description: str
    colour: str
    name_en: str = ""
    description_en: str = ""

    @property
    def shown_name(self) -> str:
        """「順調」, or 「On track」 on an English page (the Japanese name when no English one is given)."""
        return in_page_language(self.name, self.name_en)

    @property
    def shown_description(self) -> str:
        return in_page_language(self.description, self.description_en)


# The default bands' names, descriptions and colours; their labels and bounds are achievement.DEFAULT_BANDS.
_DEFAULT_LOOKS = {
    "A": ("順調", "達成率100％以上", "#1a7f37", "On track", "Achievement rate 100% or more"),
    "B+": (
        "概ね順調",
        "達成率80％以上100％未満",
        "#2f6fb3",
        "Mostly on track",
        "Achievement rate 80% or more and less than 100%",
    ),
    "B": (
        "やや遅れ",
        "達成率50％以上80％未満",
        "#d9a400",
        "Slightly behind",
        "Achievement rate 50% or more and less than 80%",
    ),
    "C": ("遅れ", "達成率50％未満", "#cf222e", "Behind", "Achievement rate less than 50%"),
}
DEFAULT_GRADES: tuple[Grade, ...] = tuple(
    Grade(band.label, name, band.lower_bound, description, colour, name_en, description_en)
    for band in DEFAULT_BANDS
    for name, description, colour, name_en, description_en in [_DEFAULT_LOOKS[band.label]]
)


@dataclass(frozen=True)
class Scale:
    """The bands for computing grades, and each band's name and colour for showing them."""

    grades: tuple[Grade, ...]

    @classmethod
    def from_rows(cls, rows: Iterable) -> "Scale":
        """From a strategy's GradeBand rows (any objects with the Grade fields); the default scale if none."""
        grades = tuple(
            Grade(
                row.label,
                row.name,
                row.lower_bound,
                row.description,
                row.colour,
                getattr(row, "name_en", ""),
                getattr(row, "description_en", ""),
            )
            for row in rows
        )
        return cls(grades or DEFAULT_GRADES)

    @property
    def bands(self) -> tuple[Band, ...]:
        return tuple(Band(grade.label, grade.lower_bound) for grade in self.grades)

    @property
    def labels(self) -> list[str]:
        return [grade.label for grade in self.grades] + [NOT_EVALUABLE]

    def _grade(self, label: str) -> Grade | None:
        return next((grade for grade in self.grades if grade.label == label), None)

    def name_of(self, label: str) -> str:
        """The band's name in the page's language; 「評価不能」 for 「−」; "" for a label no band defines."""
        grade = self._grade(label)
        if grade is not None:
            return grade.shown_name
        return gettext("評価不能") if label == NOT_EVALUABLE else ""

    def colour_of(self, label: str) -> str:
        """#RRGGBB of the band; grey for 「−」 and unknown labels."""
        grade = self._grade(label)
        return grade.colour if grade is not None and grade.colour else NEUTRAL_COLOUR

    def text_colour_of(self, label: str) -> str:
        """The text colour that reads best on the band's colour."""
        return text_colour_on(self.colour_of(label))
