"""Council meetings, opinions and their responses, and the yearly evaluations of goals and policies."""

from collections import Counter

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import (
    can_manage_meetings,
    can_record_opinions,
    can_write_evaluations,
    has_any_role,
    is_council,
    is_planning,
    opinion_for_edit_or_403,
    post_requires,
    require,
)
from accounts.strategy import current_strategy_or_404
from goals.models import Goal, Policy, Strategy
from kpis.models import ActualValue, Indicator, Kind, NextStep
from kpis.rules.evaluation import evaluate_all, rollup_by_goal, scale_for
from reviews.forms import GoalEvaluationForm, MeetingForm, OpinionForm, PolicyDirectionForm, ResponseForm
from reviews.models import GoalEvaluation, Meeting, Opinion, PolicyDirection


def _plan_year(strategy: Strategy, fiscal_year: int) -> int:
    if fiscal_year not in strategy.plan_years:
        raise Http404(_("計画期間外の年度です。"))
    return fiscal_year


@require(has_any_role)
def meeting_list(request: HttpRequest) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    post_requires(request, can_manage_meetings, "only the planning office creates meetings")
    form = MeetingForm(request.POST if request.method == "POST" else None, strategy=strategy)
    if request.method == "POST" and form.is_valid():
        meeting = form.save(commit=False)
        meeting.strategy = strategy
        meeting.save()
        messages.success(request, _("会議を登録しました。"))
        return redirect(meeting)
    meetings = Meeting.objects.filter(strategy=strategy)
    return render(
        request,
        "reviews/meeting_list.html",
        {"meetings": meetings, "form": form, "can_manage": can_manage_meetings(request.user)},
    )


@require(has_any_role)
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    meeting = get_object_or_404(Meeting, pk=pk, strategy=strategy)
    year = meeting.fiscal_year
    scale = scale_for(strategy)
    evaluations = evaluate_all(Indicator.objects.of_strategy(strategy).with_figures(), strategy, scale=scale)
    raised = Opinion.objects.filter(meeting=meeting).with_related()
    # Last year's opinions with their follow-up, and older ones until they are settled.
    carried = Opinion.objects.carried_into(strategy, year).exclude(meeting=meeting).with_related()
    return render(
        request,
        "reviews/meeting_detail.html",
        {
            "meeting": meeting,
            "kgis": [e for e in evaluations if e.indicator.kind == Kind.KGI],
            "rollups": rollup_by_goal(
                [e for e in evaluations if e.indicator.kind == Kind.KPI],
                strategy.goals.order_by("number"),
                year,
                scale,
            ),
            "labels": scale.labels,
            "raised": raised,
            "carried": carried,
            "evaluations_by_goal": {
                e.goal_id: e for e in GoalEvaluation.objects.filter(goal__strategy=strategy, fiscal_year=year)
            },
            "can_record": can_record_opinions(request.user),
        },
    )


@require(can_record_opinions)
def opinion_create(request: HttpRequest, pk: int) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    meeting = get_object_or_404(Meeting, pk=pk, strategy=strategy)
    initial = (
        {"speaker": request.user.get_full_name() or request.user.username} if is_council(request.user) else {}
    )
    initial.update({k: request.GET[k] for k in ("goal", "indicator") if request.GET.get(k, "").isdigit()})
    form = OpinionForm(request.POST or None, strategy=strategy, initial=initial)
    if request.method == "POST" and form.is_valid():
        opinion = form.save(commit=False)
        opinion.strategy, opinion.meeting, opinion.fiscal_year = strategy, meeting, meeting.fiscal_year
        opinion.author = request.user
        opinion.save()
        messages.success(request, _("意見・提言を登録しました。"))
        return redirect(meeting)
    return render(request, "reviews/opinion_form.html", {"form": form, "meeting": meeting})


@require(can_record_opinions)
def opinion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    opinion = opinion_for_edit_or_403(request, Opinion.objects.with_related(), pk=pk, strategy=strategy)
    form = OpinionForm(request.POST or None, instance=opinion, strategy=strategy)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("意見・提言を更新しました。"))
        return redirect(opinion.meeting)
    return render(
        request, "reviews/opinion_form.html", {"form": form, "meeting": opinion.meeting, "opinion": opinion}
    )


@require(is_planning)
def opinion_respond(request: HttpRequest, pk: int) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    opinion = get_object_or_404(Opinion.objects.with_related(), pk=pk, strategy=strategy)
    form = ResponseForm(request.POST or None, instance=opinion)
    if request.method == "POST" and form.is_valid():
        opinion = form.save(commit=False)
        opinion.responded_by, opinion.responded_at = request.user, timezone.now()
        opinion.save()
        messages.success(request, _("対応方針を保存しました。"))
        return redirect(request.POST.get("next") or opinion.meeting.get_absolute_url())
    return render(request, "reviews/opinion_respond.html", {"form": form, "opinion": opinion})


def proposed_directions(strategy: Strategy, fiscal_year: int) -> dict[int, str]:
    """Per policy, the 今後の方向性 most of its KPIs' departments gave this year (ties: the order of NextStep)."""
    steps: dict[int, Counter] = {}
    actuals = ActualValue.objects.filter(
        indicator__strategy=strategy, fiscal_year=fiscal_year, indicator__kind=Kind.KPI
    ).exclude(next_step="")
    by_indicator = {a.indicator_id: a.next_step for a in actuals}
    for policy_id, indicator_id in Policy.objects.filter(measure__goal__strategy=strategy).values_list(
        "pk", "placements__indicator"
    ):
        if indicator_id in by_indicator:
            steps.setdefault(policy_id, Counter())[by_indicator[indicator_id]] += 1
    order = list(NextStep.values)
    return {
        policy_id: min(counter, key=lambda step: (-counter[step], order.index(step)))
        for policy_id, counter in steps.items()
    }


@require(has_any_role)
def evaluations(request: HttpRequest, fiscal_year: int) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    year = _plan_year(strategy, fiscal_year)
    post_requires(request, can_write_evaluations, "only the planning office writes evaluations")
    data = request.POST if request.method == "POST" else None
    goal_forms = _goal_forms(strategy, year, data)
    proposals = proposed_directions(strategy, year)
    policy_forms = _policy_forms(strategy, year, data, proposals)
    if data is not None:
        if _save_evaluations(request.user, year, data, goal_forms, policy_forms):
            messages.success(request, _("評価を保存しました。"))
            return redirect("reviews:evaluations", fiscal_year=year)
        messages.error(request, _("入力内容に誤りがあります。赤く表示された項目を確認してください。"))
    return render(
        request,
        "reviews/evaluations.html",
        {
            "fiscal_year": year,
            "goal_forms": goal_forms,
            "policy_forms": policy_forms,
            "proposals": {pk: NextStep(v).label for pk, v in proposals.items()},
            "editable": can_write_evaluations(request.user),
            "years": strategy.plan_years,
        },
    )


def _goal_forms(strategy: Strategy, year: int, data) -> list[tuple[Goal, GoalEvaluationForm]]:
    goals = list(strategy.goals.order_by("number"))
    stored = {e.goal_id: e for e in GoalEvaluation.objects.filter(goal__in=goals, fiscal_year=year)}
    return [
        (goal, GoalEvaluationForm(data, prefix=f"goal-{goal.pk}", instance=stored.get(goal.pk)))
        for goal in goals
    ]


def _policy_forms(
    strategy: Strategy, year: int, data, proposals: dict[int, str]
) -> list[tuple[Policy, PolicyDirectionForm]]:
    """A policy without a stored direction starts from the one its departments proposed."""
    policies = list(Policy.objects.filter(measure__goal__strategy=strategy).select_related("measure__goal"))
    stored = {d.policy_id: d for d in PolicyDirection.objects.filter(policy__in=policies, fiscal_year=year)}
    forms = []
    for policy in policies:
        instance = stored.get(policy.pk)
        initial = {} if instance else {"direction": proposals.get(policy.pk, "")}
        forms.append(
            (
                policy,
                PolicyDirectionForm(data, prefix=f"policy-{policy.pk}", instance=instance, initial=initial),
            )
        )
    return forms


def _save_evaluations(user, year: int, data, goal_forms, policy_forms) -> bool:
    """Save the filled forms in one transaction when they are all valid; False: nothing saved."""
    # Blank forms are skipped: a goal without an evaluation yet is not an error.
    filled_goals = [(g, f) for g, f in goal_forms if f.has_changed() or f.instance.pk]
    # A blank direction means "not decided yet": nothing to save, not an error.
    filled_policies = [(p, f) for p, f in policy_forms if data.get(f"policy-{p.pk}-direction")]
    if not all(f.is_valid() for _g, f in filled_goals + filled_policies):
        return False
    with transaction.atomic():
        for goal, form in filled_goals:
            evaluation = form.save(commit=False)
            evaluation.goal, evaluation.fiscal_year, evaluation.updated_by = goal, year, user
            evaluation.save()
        for policy, form in filled_policies:
            direction = form.save(commit=False)
            direction.policy, direction.fiscal_year, direction.updated_by = policy, year, user
            direction.save()
    return True
