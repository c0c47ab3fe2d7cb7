"""Load a plan (strategy → goals → measures → policies → indicators) from its JSON fixture.

The document is authoritative for text: names, titles and descriptions are brought in line on every
load. Numbers and metadata (baseline, target, unit, direction, department…) are set when an object is
first created and belong to the planning office afterwards, so re-loading never undoes their edits.
Which goals serve each regional vision (the plan's diagram) is the document's too: a vision listing its
`goals` has exactly those links after a load, unchanged (and no history written) when they already are.
Everything happens in one transaction: a broken fixture loads nothing.

The same writer loads the plan workbook (kpis.loading.plan_workbook) with `authoritative=True`: there the
file is the whole plan, so every field is brought in line (a change recorded as field: before → after),
objects the file no longer holds are removed (an indicator with figures is refused, naming it) and a
`dry_run` shows all of it without keeping any. Every row written carries the history reason it is given.
Indicators may carry, beyond the fixture's keys, `aggregation` (annual / cumulative), `department` (its
code) and `expected_values` ({"2025": "12.5"}: explicit 期待値 by year).
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from goals.history import history_reason
from goals.models import Department, Goal, Measure, Policy, Strategy, Vision
from kpis.models import ExpectedValue, FiscalYear, GradeBand, Indicator, Kind, Placement, StoredResult
from kpis.rules import stored as stored_results
from kpis.rules.achievement import Aggregation, Direction
from kpis.rules.scale import DEFAULT_GRADES
from lib.fiscal import fiscal_year_of, parse_month
from lib.numbers import MISSING, format_decimal

FORMAT = "ami-strategy-plan/1"
# The history reason of the links between visions and goals the loader sets.
LOADED_FROM_FILE = gettext_noop("計画ファイルの読み込み")


class PlanFormatError(ValueError):
    """The fixture does not describe a plan; the message says where."""


class PlanRefused(PlanFormatError):
    """The plan cannot be loaded as it is (a removal the data forbids…); `errors` names each reason."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Change:
    """One field of one stored object as a load changes it, shown as the preview lists it."""

    target: str
    field: str
    before: str
    after: str


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    # Filled by an authoritative load (the workbook): each field changed, each object removed, and what the
    # reader should know besides (a new plan that does not become the current one).
    changes: list[Change] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    strategy_code: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)


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


def shown_value(model, name: str, value) -> str:
    """A field's value as the preview shows it: choices by their label, numbers as written, 「−」 for none."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, bool):
        return _("はい") if value else _("いいえ")
    if isinstance(value, Decimal):
        return format_decimal(value)
    choices = dict(model._meta.get_field(name).flatchoices)
    return str(choices.get(value, value))


def _label(model, obj) -> str:
    return f"{model._meta.verbose_name} {obj}"


class _Loader:
    def __init__(self, *, authoritative: bool = False, reason=LOADED_FROM_FILE, user=None):
        self.report = LoadReport()
        self.authoritative = authoritative
        self.reason = history_reason(reason)
        self.user = user
        # Rows this load created: completing them (a 【再掲】 link set after both policies exist) is not
        # an update of anything stored before.
        self.created_now: set[tuple[type, int]] = set()
        # Rows the file holds (an authoritative load removes the strategy's others).
        self.seen: dict[type, set[int]] = defaultdict(set)
        self.departments = {department.code: department for department in Department.objects.all()}

    def save(self, obj, **kwargs) -> None:
        obj._change_reason = self.reason
        obj._history_user = self.user
        obj.save(**kwargs)

    def sync(
        self,
        model,
        lookup: dict,
        text: dict,
        initial: dict | None = None,
        label: str = "",
        create_only: dict | None = None,
    ):
        """Create with text + initial values, or bring the text fields of an existing row in line (every
        field but `create_only` ones, in an authoritative load)."""
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **text, **(initial or {}), **(create_only or {}))
            obj.full_clean()
            self.save(obj)
            self.created_now.add((model, obj.pk))
            self.seen[model].add(obj.pk)
            self.report.created.append(label or _label(model, obj))
            return obj
        self.seen[model].add(obj.pk)
        wanted = {**text, **(initial or {})} if self.authoritative else text
        changed = [name for name, value in wanted.items() if getattr(obj, name) != value]
        if changed:
            target = label or _label(model, obj)
            for name in changed:
                self.report.changes.append(
                    Change(
                        target,
                        str(model._meta.get_field(name).verbose_name),
                        shown_value(model, name, getattr(obj, name)),
                        shown_value(model, name, wanted[name]),
                    )
                )
                setattr(obj, name, wanted[name])
            obj.full_clean()
            self.save(obj, update_fields=changed)
            self.report.updated.append(f"{target}: {', '.join(changed)}")
        return obj

    def load(self, data: dict) -> LoadReport:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise PlanFormatError(f"計画ファイルの形式が違います（'format' は {FORMAT!r} であること）")
        s = _require(data, "strategy", "strategy", dict)
        code = _require(s, "code", "strategy")
        self.report.strategy_code = code
        strategy = self.sync(
            Strategy,
            {"code": code},
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
            create_only=self.new_plan_state(code),
        )
        visions = self.load_visions(strategy, _require(data, "visions", "visions", list))
        for label, band in _grade_bands(data):
            self.sync(
                GradeBand,
                {"strategy": strategy, "label": label},
                {},
                create_only=band,
                label=f"grade {label}",
            )
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
        if self.authoritative:
            _Remover(self, strategy).remove_unseen()
        return self.report

    def new_plan_state(self, code: str) -> dict:
        """A new plan read from a workbook does not replace the current one while that one's years run."""
        if not self.authoritative or Strategy.objects.filter(code=code).exists():
            return {}
        this_year = fiscal_year_of(timezone.localdate())
        running = Strategy.objects.filter(is_active=True, last_year__gte=this_year).first()
        if running is None:
            return {}
        self.report.notices.append(
            _(
                "新しい計画「%(code)s」は、実施中の「%(current)s」に代わって表示される計画にはなりません"
                "（無効の状態で作られます）。切り替えるときは管理画面で「有効」にしてください。"
            )
            % {"code": code, "current": running.name}
        )
        return {"is_active": False}

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
        before = sorted(vision.goals.all(), key=lambda goal: goal.number)
        if {goal.pk for goal in before} == wanted:
            return
        vision._change_reason = self.reason
        vision._history_user = self.user
        vision.goals.set(wanted)
        if (Vision, vision.pk) not in self.created_now:
            self.report.updated.append(f"{vision}: goals")
            self.report.changes.append(
                Change(
                    _label(Vision, vision),
                    str(Vision._meta.get_field("goals").verbose_name),
                    "、".join(goal.code for goal in before) or MISSING,
                    "、".join(codes) or MISSING,
                )
            )

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
                if self.authoritative and policy.reposted_from_id is not None:
                    self.set_reposted_from(policy, None)
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
        aggregation = k.get("aggregation", Aggregation.ANNUAL.value)
        if aggregation not in {choice.value for choice in Aggregation}:
            raise PlanFormatError(f"{code}: aggregation は annual か cumulative です: {aggregation!r}")
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
                "aggregation": aggregation,
                "baseline_year": k.get("baseline_year"),
                "baseline_value": _decimal(k, "baseline_value", code),
                "target_year": k.get("target_year"),
                "target_value": _decimal(k, "target_value", code),
                "source_mark": k.get("source_mark", ""),
                "source_note": k.get("source_note", ""),
                "note": k.get("note", ""),
                "department": self.department(k.get("department"), code),
                "decimal_places": k.get("decimal_places"),
                "continues": self.earlier_indicator(k.get("continues"), strategy, code),
                **_calendar(k, code),
            },
        )
        self.indicators[code] = indicator
        if self.authoritative or (Indicator, indicator.pk) in self.created_now:
            self.sync_expected_values(indicator, k.get("expected_values") or {}, code)
        return indicator

    def earlier_indicator(self, reference: str | None, strategy, where: str) -> Indicator | None:
        """The indicator of an earlier plan this one continues: 「dai3ki:G1-KGI1」."""
        if not reference:
            return None
        plan, _colon, code = reference.partition(":")
        earlier = Indicator.objects.select_related("strategy").filter(strategy__code=plan, code=code).first()
        if earlier is None or earlier.strategy_id == strategy.pk:
            raise PlanRefused(
                [
                    _(
                        "指標 %(where)s の継続元「%(reference)s」は、読み込まれている前の計画の指標ではありません。"
                    )
                    % {"where": where, "reference": reference}
                ]
            )
        return earlier

    def department(self, code: str | None, where: str) -> Department | None:
        if not code:
            return None
        if code not in self.departments:
            raise PlanFormatError(f"{where}: 担当課 {code} がありません")
        return self.departments[code]

    def sync_expected_values(self, indicator: Indicator, values: dict, where: str) -> None:
        """The indicator's explicit 期待値 become exactly `values` (year → value)."""
        if not isinstance(values, dict):
            raise PlanFormatError(f"{where}: 'expected_values' は年度と値の組です: {values!r}")
        stored = {ev.fiscal_year: ev for ev in indicator.expected_values.all()}
        for year, value in values.items():
            self.sync(
                ExpectedValue,
                {"indicator": indicator, "fiscal_year": int(year)},
                {},
                {"value": _decimal({"value": value}, "value", f"{where} {year}")},
                label=f"{_label(ExpectedValue, indicator.code)} {int(year)}",
            )
            stored.pop(int(year), None)
        for expected in stored.values():
            if self.authoritative:
                self.report.removed.append(_label(ExpectedValue, expected))
                expected._change_reason, expected._history_user = self.reason, self.user
                expected.delete()

    def set_reposted_from(self, policy, original) -> None:
        before = policy.reposted_from
        policy.reposted_from = original
        self.save(policy, update_fields=["reposted_from"])
        if (type(policy), policy.pk) not in self.created_now:
            self.report.updated.append(f"{policy.code}: reposted_from")
            self.report.changes.append(
                Change(
                    _label(Policy, policy),
                    str(Policy._meta.get_field("reposted_from").verbose_name),
                    before.code if before else MISSING,
                    original.code if original else MISSING,
                )
            )

    def load_repost(self, policy, original_code, kpis, where):
        original = self.policies.get(original_code)
        if original is None:
            raise PlanFormatError(f"{where}: 再掲元の施策 {original_code} がありません")
        if policy.reposted_from_id != original.pk:
            self.set_reposted_from(policy, original)
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


# The plan's own structure, removed with it; any other row pointing at a removed object refuses the removal.
PLAN_PARTS = frozenset({Vision, Goal, Measure, Policy, Indicator, Placement, ExpectedValue, StoredResult})


class _Remover:
    """An authoritative load's last step: the strategy's objects the file no longer holds are removed,
    children first; one that figures, opinions or evaluations depend on is refused, naming it."""

    def __init__(self, loader: _Loader, strategy: Strategy):
        self.loader = loader
        self.strategy = strategy
        self.refusals: list[str] = []

    def unseen(self, model, queryset):
        return [obj for obj in queryset if obj.pk not in self.loader.seen[model]]

    def remove_unseen(self) -> None:
        strategy = self.strategy
        placements = self.unseen(
            Placement, Placement.objects.filter(policy__measure__goal__strategy=strategy)
        )
        indicators = self.unseen(Indicator, Indicator.objects.filter(strategy=strategy))
        policies = self.unseen(Policy, Policy.objects.filter(measure__goal__strategy=strategy))
        measures = self.unseen(Measure, Measure.objects.filter(goal__strategy=strategy))
        goals = self.unseen(Goal, Goal.objects.filter(strategy=strategy))
        for obj in [*indicators, *policies, *goals]:
            self.refuse_if_used(obj)
        if self.refusals:
            raise PlanRefused(self.refusals)
        # Reposts before the policies they repeat (PROTECT), placements before their indicators.
        policies.sort(key=lambda policy: policy.reposted_from_id is None)
        for obj in [*placements, *indicators, *policies, *measures, *goals]:
            self.delete(obj)
        for vision in self.unseen(Vision, Vision.objects.filter(strategy=strategy)):
            self.delete(vision)

    def refuse_if_used(self, obj) -> None:
        """Refuse removing an object that rows beyond the plan's own structure point at (figures, opinions,
        evaluations…): deleting it would delete them, or fail."""
        for relation in obj._meta.related_objects:
            model = relation.related_model
            if relation.many_to_many or model in PLAN_PARTS or model.__name__.startswith("Historical"):
                continue
            count = model._default_manager.filter(**{relation.field.name: obj}).count()
            if count:
                self.refusals.append(
                    _(
                        "%(object)sは、%(what)sが%(count)s件あるため計画から外せません。"
                        "この行を残してください。"
                    )
                    % {"object": _label(type(obj), obj), "what": model._meta.verbose_name, "count": count}
                )

    def delete(self, obj) -> None:
        self.loader.report.removed.append(_label(type(obj), obj))
        obj._change_reason, obj._history_user = self.loader.reason, self.loader.user
        obj.delete()


def write_plan(
    data: dict, *, authoritative: bool = False, reason=LOADED_FROM_FILE, user=None, dry_run: bool = False
) -> LoadReport:
    """Write the plan `data` (the plain structure of the JSON file) in one transaction, results refreshed
    once at the end. `dry_run`: everything is written and checked, then rolled back (the preview).

    Raises PlanFormatError (nothing written) when it cannot be loaded; a refused removal or a value the
    models refuse is a PlanRefused listing every reason."""
    code = data.get("strategy", {}).get("code") if isinstance(data, dict) else None
    if isinstance(code, str) and Strategy.objects.filter(code=code, is_closed=True).exists():
        raise PlanRefused(
            [
                _("計画「%(code)s」は終了しています。変更するには、先に終了を取り消してください。")
                % {"code": code}
            ]
        )
    with transaction.atomic():
        try:
            with stored_results.refreshed_once():
                report = _Loader(authoritative=authoritative, reason=reason, user=user).load(data)
        except ValidationError as error:
            raise PlanRefused([_validation_message(error)]) from None
        if dry_run:
            transaction.set_rollback(True)
    return report


def _validation_message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
    return " ".join(error.messages)


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
