"""A strategy's grade scale (評価区分): the bands that grade, and the names and colours that show them.

One place for what a grade looks like, so that the web pages, the charts and the workbook agree: a
strategy's stored bands (GradeBand rows) when it has them, the plan's default scale otherwise.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext

from kpis.rules.achievement import DEFAULT_BANDS, NOT_EVALUABLE, Band
from lib.colours import text_colour_on

# The colour of 「−」 (評価不能) and of a label no band defines.
NEUTRAL_COLOUR = "#6e7781"


@dataclass(frozen=True)
class Grade:
    """One band as people see it; distinguishable without colour, since the label is always shown."""

    label: str
    name: str
    lower_bound: Decimal | None
    description: str
    colour: str


# The default bands' names and colours; their labels and bounds are achievement.DEFAULT_BANDS.
_DEFAULT_LOOKS = {
    "A": ("順調", "達成率100％以上", "#1a7f37"),
    "B+": ("概ね順調", "達成率80％以上100％未満", "#2f6fb3"),
    "B": ("やや遅れ", "達成率50％以上80％未満", "#d9a400"),
    "C": ("遅れ", "達成率50％未満", "#cf222e"),
}
DEFAULT_GRADES: tuple[Grade, ...] = tuple(
    Grade(band.label, name, band.lower_bound, description, colour)
    for band in DEFAULT_BANDS
    for name, description, colour in [_DEFAULT_LOOKS[band.label]]
)


@dataclass(frozen=True)
class Scale:
    """The bands for computing grades, and each band's name and colour for showing them."""

    grades: tuple[Grade, ...]

    @classmethod
    def from_rows(cls, rows: Iterable) -> "Scale":
        """From a strategy's GradeBand rows (any objects with the Grade fields); the default scale if none."""
        grades = tuple(
            Grade(row.label, row.name, row.lower_bound, row.description, row.colour) for row in rows
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
        grade = self._grade(label)
        if grade is not None:
            return grade.name
        return gettext("評価不能") if label == NOT_EVALUABLE else ""

    def colour_of(self, label: str) -> str:
        """#RRGGBB of the band; grey for 「−」 and unknown labels."""
        grade = self._grade(label)
        return grade.colour if grade is not None and grade.colour else NEUTRAL_COLOUR

    def text_colour_of(self, label: str) -> str:
        """The text colour that reads best on the band's colour."""
        return text_colour_on(self.colour_of(label))
