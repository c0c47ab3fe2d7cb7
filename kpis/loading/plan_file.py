"""Load a plan (strategy → goals → measures → policies → indicators) from its JSON fixture.

The document is authoritative for text: names, titles and descriptions are brought in line on every
load. Numbers and metadata (baseline, target, unit, direction, department…) are set when an object is
first created and belong to the planning office afterwards, so re-loading never undoes their edits.
Which goals serve each regional vision (the plan's diagram) is the document's too: a vision listing its
`goals` has exactly those links after a load, unchanged (and no history written) when they already are.
Everything happens in one transaction: a broken fixture loads nothing.
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext_noop

from goals.history import history_reason
from goals.models import Goal, Measure, Policy, Strategy, Vision
from kpis.models import FiscalYear, GradeBand, Indicator, Kind, Placement
from kpis.rules import stored as stored_results
from kpis.rules.achievement import Direction
from kpis.rules.scale import DEFAULT_GRADES
from lib.fiscal import parse_month

FORMAT = "ami-strategy-plan/1"
# The history reason of the links between visions and goals the loader sets.
LOADED_FROM_FILE = gettext_noop("計画ファイルの読み込み")


class PlanFormatError(ValueError):
    """The fixture does not describe a plan; the message says where."""


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _require(obj: dict, key: str, where: str, kind=str):
    if key not in obj:
        raise PlanFormatError(f"{where}: '{key}' がありません")
    value = obj[key]
    if not isinstance(value, kind) or (kind is str and not value.strip()):
        raise PlanFormatError(f"{where}: '{key}' の値が不正です: {value!r}")
    return value


def _decimal(obj: dict, key: str, where: str) -> Decimal | None:
    if obj.get(key) in (None, ""):
        return None
    try:
        value = Decimal(str(obj[key]))
    except InvalidOperation:
        raise PlanFormatError(f"{where}: '{key}' が数値ではありません: {obj[key]!r}") from None
    if not value.is_finite():
        raise PlanFormatError(f"{where}: '{key}' が数値ではありません: {obj[key]!r}")
    return value


def _calendar(k: dict, code: str) -> dict:
    """The source's publication calendar, where the plan states it: `data_lag` (years the figures trail the
    year they are reported for), `latest_publication` and `next_publication` (months, 「2027-03」)."""
    calendar = {}
    lag = k.get("data_lag")
    if lag is not None:
        if not isinstance(lag, int) or isinstance(lag, bool) or not 0 <= lag <= 10:
            raise PlanFormatError(f"{code}: 'data_lag' は0から10の整数です: {lag!r}")
        calendar["data_lag"] = lag
    for key in ("latest_publication", "next_publication"):
        if k.get(key) not in (None, ""):
            try:
                calendar[key] = parse_month(k[key])
            except ValueError as error:
                raise PlanFormatError(f"{code}: '{key}': {error}") from None
    return calendar


def _grade_bands(data: dict) -> list[tuple[str, dict]]:
    """The bands a new strategy starts with: the file's `grade_bands` if it gives them, else the default scale.

    Each band is `{"label", "name", "lower_bound"}` with optional `name_en`, `description`,
    `description_en` and `colour` (null `lower_bound`: the bottom band). Like the numbers, they are set when
    the strategy's band is created and belong to the planning office afterwards.
    """
    if "grade_bands" not in data:
        return [
            (
                grade.label,
                {
                    "name": grade.name,
                    "name_en": grade.name_en,
                    "lower_bound": grade.lower_bound,
                    "description": grade.description,
                    "description_en": grade.description_en,
                    "colour": grade.colour,
                },
            )
            for grade in DEFAULT_GRADES
        ]
    bands = []
    for number, band in enumerate(_require(data, "grade_bands", "grade_bands", list), start=1):
        where = f"grade band {number}"
        if not isinstance(band, dict):
            raise PlanFormatError(f"{where}: 評価区分はオブジェクトで書いてください: {band!r}")
        fields = {"name": _require(band, "name", where), "lower_bound": _decimal(band, "lower_bound", where)}
        for key in ("name_en", "description", "description_en", "colour"):
            if band.get(key) not in (None, ""):
                fields[key] = _require(band, key, where)
        bands.append((_require(band, "label", where), fields))
    if [fields["lower_bound"] for _label, fields in bands].count(None) != 1:
        raise PlanFormatError("grade_bands: 下限（lower_bound）が空の区分（最下位）がちょうど1つ必要です")
    return bands


class _Loader:
    def __init__(self):
        self.report = LoadReport()
        # Rows this load created: completing them (a 【再掲】 link set after both policies exist) is not
        # an update of anything stored before.
        self.created_now: set[tuple[type, int]] = set()

    def sync(self, model, lookup: dict, text: dict, initial: dict | None = None, label: str = ""):
        """Create with text + initial values, or bring the text fields of an existing row in line."""
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **text, **(initial or {}))
            obj.full_clean()
            obj.save()
            self.created_now.add((model, obj.pk))
            self.report.created.append(label or str(obj))
            return obj
        changed = [name for name, value in text.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, text[name])
            obj.full_clean()
            obj.save(update_fields=changed)
            self.report.updated.append(f"{label or obj}: {', '.join(changed)}")
        return obj

    def load(self, data: dict) -> LoadReport:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise PlanFormatError(f"計画ファイルの形式が違います（'format' は {FORMAT!r} であること）")
        s = _require(data, "strategy", "strategy", dict)
        strategy = self.sync(
            Strategy,
            {"code": _require(s, "code", "strategy")},
            {
                "name": _require(s, "name", "strategy"),
                "subtitle": s.get("subtitle", ""),
                "purpose": s.get("purpose", ""),
            },
            {
                "first_year": _require(s, "first_year", "strategy", int),
                "last_year": _require(s, "last_year", "strategy", int),
                "baseline_year": _require(s, "baseline_year", "strategy", int),
            },
        )
        visions = self.load_visions(strategy, _require(data, "visions", "visions", list))
        for label, band in _grade_bands(data):
            self.sync(GradeBand, {"strategy": strategy, "label": label}, {}, band, label=f"grade {label}")
        for year in strategy.plan_years:
            self.sync(FiscalYear, {"strategy": strategy, "year": year}, {}, label=f"fiscal year {year}")

        self.indicators: dict[str, Indicator] = {}
        self.policies: dict[str, Policy] = {}
        self.reposts: list[tuple[Policy, str, list, str]] = []
        self.goals: dict[str, Goal] = {}
        for number, g in enumerate(_require(data, "goals", "goals", list), start=1):
            self.load_goal(strategy, number, g)
        # 【再掲】 placements point at policies and indicators defined elsewhere in the document.
        for policy, original_code, kpis, where in self.reposts:
            self.load_repost(policy, original_code, kpis, where)
        # Visions name goals the document defines after them.
        for vision, codes, where in visions:
            self.link_vision(vision, codes, where)
        return self.report

    def load_visions(self, strategy, visions: list) -> list[tuple[Vision, list, str]]:
        """Sync the visions; return those whose goals the file names (`"goals": ["G1", …]`), to link later.

        A vision without `goals` keeps the links it has (plan files written before the links existed)."""
        to_link = []
        for v in visions:
            where = f"vision {v.get('number')}"
            vision = self.sync(
                Vision,
                {"strategy": strategy, "number": _require(v, "number", where, int)},
                {"theme": _require(v, "theme", where), "title": _require(v, "title", where)},
            )
            if "goals" in v:
                codes = v["goals"]
                if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
                    raise PlanFormatError(
                        f"{where}（{vision.theme}）: 'goals' は基本目標のコードの並びです: {codes!r}"
                    )
                to_link.append((vision, codes, f"{where}（{vision.theme}）"))
        return to_link

    def link_vision(self, vision, codes: list[str], where: str) -> None:
        """The document is authoritative for which goals serve a vision: the links become exactly `codes`."""
        unknown = [code for code in codes if code not in self.goals]
        if unknown:
            raise PlanFormatError(
                f"{where}: 'goals' の基本目標 {', '.join(unknown)} が計画ファイルにありません"
            )
        wanted = {self.goals[code].pk for code in codes}
        if set(vision.goals.values_list("pk", flat=True)) == wanted:
            return
        vision._change_reason = history_reason(LOADED_FROM_FILE)
        vision.goals.set(wanted)
        if (Vision, vision.pk) not in self.created_now:
            self.report.updated.append(f"{vision}: goals")

    def load_goal(self, strategy, number, g):
        code = _require(g, "code", f"goal {number}")
        goal = self.sync(
            Goal,
            {"strategy": strategy, "code": code},
            {"number": number, "title": _require(g, "title", code), "description": g.get("description", "")},
        )
        self.goals[code] = goal
        for order, k in enumerate(_require(g, "kgis", code, list), start=1):
            self.load_indicator(strategy, goal, None, Kind.KGI, order, k)
        for m_number, m in enumerate(_require(g, "measures", code, list), start=1):
            m_code = _require(m, "code", f"{code} measure {m_number}")
            measure = self.sync(
                Measure,
                {"goal": goal, "code": m_code},
                {"number": m_number, "title": _require(m, "title", m_code)},
            )
            kpi_order = 0
            for p_number, p in enumerate(_require(m, "policies", m_code, list), start=1):
                p_code = _require(p, "code", f"{m_code} policy {p_number}")
                policy = self.sync(
                    Policy,
                    {"measure": measure, "code": p_code},
                    {"number": p_number, "title": _require(p, "title", p_code)},
                    {"is_digital": bool(p.get("digital", False))},
                )
                self.policies[p_code] = policy
                kpis = _require(p, "kpis", p_code, list)
                if p.get("reposted_from"):
                    self.reposts.append((policy, p["reposted_from"], kpis, p_code))
                    continue
                for placement_order, k in enumerate(kpis, start=1):
                    kpi_order += 1
                    indicator = self.load_indicator(strategy, goal, measure, Kind.KPI, kpi_order, k)
                    self.sync(
                        Placement,
                        {"policy": policy, "indicator": indicator},
                        {"order": placement_order, "is_repost": False},
                        label=f"{p_code} → {indicator.code}",
                    )

    def load_indicator(self, strategy, goal, measure, kind, order, k):
        where = k.get("code", f"{goal.code} {kind} {order}")
        code = _require(k, "code", where)
        if code in self.indicators:
            raise PlanFormatError(f"{code}: 指標コードが重複しています")
        direction = k.get("direction", Direction.HIGHER.value)
        if direction not in {choice.value for choice in Direction}:
            raise PlanFormatError(f"{code}: direction は higher か lower です: {direction!r}")
        indicator = self.sync(
            Indicator,
            {"strategy": strategy, "code": code},
            {
                "kind": kind,
                "goal": goal,
                "measure": measure,
                "order": order,
                "name": _require(k, "name", code),
            },
            {
                "unit": k.get("unit", ""),
                "direction": direction,
                "baseline_year": k.get("baseline_year"),
                "baseline_value": _decimal(k, "baseline_value", code),
                "target_year": k.get("target_year"),
                "target_value": _decimal(k, "target_value", code),
                "source_mark": k.get("source_mark", ""),
                "source_note": k.get("source_note", ""),
                "note": k.get("note", ""),
                "decimal_places": k.get("decimal_places"),
                **_calendar(k, code),
            },
        )
        self.indicators[code] = indicator
        return indicator

    def load_repost(self, policy, original_code, kpis, where):
        original = self.policies.get(original_code)
        if original is None:
            raise PlanFormatError(f"{where}: 再掲元の施策 {original_code} がありません")
        if policy.reposted_from_id != original.pk:
            policy.reposted_from = original
            policy.save(update_fields=["reposted_from"])
            if (type(policy), policy.pk) not in self.created_now:
                self.report.updated.append(f"{policy.code}: reposted_from")
        for order, k in enumerate(kpis, start=1):
            code = _require(k, "repost", where)
            indicator = self.indicators.get(code)
            if indicator is None:
                raise PlanFormatError(f"{where}: 再掲する指標 {code} がありません")
            self.sync(
                Placement,
                {"policy": policy, "indicator": indicator},
                {"order": order, "is_repost": True},
                label=f"{policy.code} → {code}（再掲）",
            )


def load_plan(path: str | Path) -> LoadReport:
    """Load the plan in `path`; raises PlanFormatError (nothing written) when it is not a valid plan."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanFormatError(f"計画ファイルがありません: {path}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanFormatError(f"計画ファイルを読めません（JSON/UTF-8）: {exc}") from None
    with transaction.atomic(), stored_results.refreshed_once():
        return _Loader().load(data)
