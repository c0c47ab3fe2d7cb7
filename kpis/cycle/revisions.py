"""Mid-term revision (中間見直し): the planning office revises an indicator's name, unit, baseline or target
from a fiscal year on, with a reason. The indicator then holds the new values; an IndicatorRevision keeps
what was in force before, so earlier years are still evaluated against it (kpis.rules.evaluation), and every
page showing the target says since when (Indicator.revised_from_year)."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from goals.history import save_with_history
from kpis.models import Indicator, IndicatorRevision


@transaction.atomic
def indicator_revise(
    *, user, indicator: Indicator, from_year: int, changes: Mapping[str, object], reason: str
) -> IndicatorRevision:
    """Revise `indicator` from `from_year` on; ValidationError naming the field when it cannot be."""
    indicator = Indicator.objects.select_for_update().select_related("strategy").get(pk=indicator.pk)
    strategy = indicator.strategy
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("見直しの理由を入力してください。")})
    if not strategy.first_year < from_year <= strategy.last_year:
        raise ValidationError(
            {
                "from_year": _("適用する年度は%(first)s〜%(last)s年度の中で選んでください。")
                % {"first": strategy.first_year + 1, "last": strategy.last_year}
            }
        )
    latest = indicator.revisions.order_by("-from_year").first()
    if latest is not None and from_year <= latest.from_year:
        raise ValidationError(
            {
                "from_year": _("%(year)s年度からの見直しが既にあります。それより後の年度を選んでください。")
                % {"year": latest.from_year}
            }
        )
    changed = {name: value for name, value in changes.items() if getattr(indicator, name) != value}
    if not changed:
        raise ValidationError(_("見直す値が今の値と同じです。変える値を入力してください。"))
    revision = IndicatorRevision(
        indicator=indicator,
        from_year=from_year,
        reason=reason,
        revised_by=user,
        **{f"before_{name}": getattr(indicator, name) for name in IndicatorRevision.REVISED},
    )
    revision.full_clean(exclude=["indicator", "revised_by"])
    save_with_history(revision, user=user, reason=reason)
    for name, value in changed.items():
        setattr(indicator, name, value)
    indicator.revised_from_year = from_year
    indicator.full_clean(exclude=["strategy", "goal", "measure"])
    save_with_history(indicator, user=user, reason=reason)
    return revision
