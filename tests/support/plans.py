"""A second plan beside the 第３期: its fixture three years on, loaded inactive as a draft is."""

import json

from django.conf import settings
from django.core.management import call_command

from goals.models import Strategy

YEAR_KEYS = {"first_year", "last_year", "baseline_year", "target_year", "year", "fiscal_year"}


def shifted(node, years: int):
    """The plan document with every year moved on by `years`."""
    if isinstance(node, dict):
        return {
            key: value + years if key in YEAR_KEYS and isinstance(value, int) else shifted(value, years)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [shifted(item, years) for item in node]
    return node


def load_next_plan(folder, code="dai4ki", name="第４期阿見町総合戦略（案）", years=3) -> Strategy:
    document = shifted(json.loads((settings.BASE_DIR / "fixtures" / "plan_dai3ki.json").read_text()), years)
    document["strategy"].update(code=code, name=name)
    path = folder / f"{code}.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    call_command("load_plan", str(path), verbosity=0)
    Strategy.objects.filter(code=code).update(is_active=False)  # a draft: not yet the current plan
    return Strategy.objects.get(code=code)
