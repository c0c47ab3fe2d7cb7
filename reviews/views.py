"""Council meetings, opinions and their responses, and the yearly evaluations of goals and policies."""

import copy
from collections import Counter

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
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
from reviews import services
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
        meeting = services.meeting_create(
            user=request.user, strategy=strategy, meeting=form.save(commit=False)
        )
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
        services.opinion_create(user=request.user, meeting=meeting, opinion=form.save(commit=False))
        messages.success(request, _("意見・提言を登録しました。"))
        return redirect(meeting)
    return render(request, "reviews/opinion_form.html", {"form": form, "meeting": meeting})


def _back(request: HttpRequest, default: str) -> str:
    """Where to go after saving: the page the person came from (?next=), if it is one of this site's."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = (
        target.startswith("/")  # a path of this site: redirect() would read anything else as a view name
        and target.isprintable()  # no line break or control character for the Location header
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    )
    return target if safe else default


def _rebound(form_class, request: HttpRequest, current: Opinion, **kwargs):
    """The form as the person filled it, now marked against the opinion as it is stored: saving it again
    is a deliberate choice to replace what the other person saved."""
    data = request.POST.copy()
    data["seen"] = services.opinion_marker(current)
    # A copy: validating the form writes the typed values into its instance, and the page shows `current`.
    return form_class(data, instance=copy.copy(current), **kwargs)


def _opinion_page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    opinion = context.get("current") or context.get("opinion")
    if opinion is not None:
        context["history"] = opinion.history.select_related("history_user").order_by("-history_date")
    return render(request, template, context, status=status)


@require(can_record_opinions)
def opinion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    opinion = opinion_for_edit_or_403(request, Opinion.objects.with_related(), pk=pk, strategy=strategy)
    back = _back(request, opinion.meeting.get_absolute_url())
    context = {"meeting": opinion.meeting, "opinion": opinion, "back": back}
    if services.closed_to(request.user, opinion):
        # Refused to open; refused as a conflict when it was settled while the person was editing.
        messages.error(request, services.closed_message())
        status = 409 if request.method == "POST" else 403
        return _opinion_page(request, "reviews/opinion_form.html", {**context, "current": opinion}, status)
    form = OpinionForm(request.POST or None, instance=opinion, strategy=strategy)
    if request.method == "POST" and form.is_valid():
        try:
            services.opinion_update(
                user=request.user,
                pk=opinion.pk,
                changes=form.changes(),
                seen=form.cleaned_data["seen"],
                reason=form.cleaned_data["reason"],
            )
        except services.Conflict as conflict:
            messages.error(request, conflict.message)
            current = Opinion.objects.with_related().get(pk=opinion.pk)
            if not services.closed_to(request.user, current):
                context["form"] = _rebound(OpinionForm, request, current, strategy=strategy)
            return _opinion_page(request, "reviews/opinion_form.html", {**context, "current": current}, 409)
        messages.success(request, _("意見・提言を更新しました。"))
        return redirect(back)
    return _opinion_page(request, "reviews/opinion_form.html", {**context, "form": form})


@require(is_planning)
def opinion_respond(request: HttpRequest, pk: int) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    opinion = get_object_or_404(Opinion.objects.with_related(), pk=pk, strategy=strategy)
    back = _back(request, opinion.meeting.get_absolute_url())
    form = ResponseForm(request.POST or None, instance=opinion)
    context = {"form": form, "opinion": opinion, "back": back}
    if request.method == "POST" and form.is_valid():
        try:
            services.opinion_respond(
                user=request.user,
                pk=opinion.pk,
                response=form.cleaned_data["response"],
                follow_up=form.cleaned_data["follow_up"],
                follow_up_reason=form.cleaned_data["follow_up_reason"],
                seen=form.cleaned_data["seen"],
            )
        except services.Conflict as conflict:
            messages.error(request, conflict.message)
            current = Opinion.objects.with_related().get(pk=opinion.pk)
            context.update(form=_rebound(ResponseForm, request, current), current=current)
            return _opinion_page(request, "reviews/opinion_respond.html", context, 409)
        messages.success(request, _("対応方針を保存しました。"))
        return redirect(back)
    return _opinion_page(request, "reviews/opinion_respond.html", context)


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
    proposals = proposed_directions(strategy, year)
    goal_forms = _goal_forms(strategy, year, data)
    policy_forms = _policy_forms(strategy, year, data, proposals)
    status, stale, stored = 200, set(), {}
    if data is not None:
        inputs = _evaluation_inputs(data, goal_forms, policy_forms)
        if inputs is None:
            messages.error(request, _("入力内容に誤りがあります。赤く表示された項目を確認してください。"))
        else:
            try:
                services.evaluations_save(
                    user=request.user, fiscal_year=year, goals=inputs[0], policies=inputs[1]
                )
            except services.Conflict as conflict:
                messages.error(request, conflict.message)
                status, stale = 409, set(conflict.stale)
                touched = {r.goal for r in inputs[0] if r.touched} | {
                    r.policy for r in inputs[1] if r.touched
                }
                goal_forms, policy_forms, stored = _forms_after_conflict(
                    strategy, year, data, proposals, touched
                )
            else:
                messages.success(request, _("評価を保存しました。"))
                return redirect("reviews:evaluations", fiscal_year=year)
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
            "stale": stale,
            "stored": stored,
        },
        status=status,
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


def _posted(form, data) -> bool:
    """Whether the request sent this row at all (a client may send fewer rows than the page has)."""
    return any(form.add_prefix(name) in data for name in form.fields)


def _evaluation_inputs(data, goal_forms, policy_forms):
    """The posted rows for reviews.services.evaluations_save; None when a form has an error (shown beside
    its field). A blank direction means "not decided yet": nothing to save, not an error."""
    goals, policies, valid = [], [], True
    for goal, form in goal_forms:
        if not _posted(form, data):
            continue
        if not form.is_valid():
            valid = False
            continue
        row = services.EvaluationInput(goal, form.cleaned_data["text"], form.cleaned_data["seen"])
        if row.touched and not row.text:
            form.add_error("text", _("総合評価を入力してください。"))
            valid = False
        goals.append(row)
    for policy, form in policy_forms:
        if not _posted(form, data):
            continue
        if not form.is_valid():
            valid = False
        elif form.cleaned_data["direction"]:
            cleaned = form.cleaned_data
            policies.append(
                services.DirectionInput(policy, cleaned["direction"], cleaned["note"], cleaned["seen"])
            )
    return (goals, policies) if valid else None


def _forms_after_conflict(strategy: Strategy, year: int, data, proposals, touched: set):
    """The rows the person changed keep what they typed, marked against the row as it is stored now (so
    saving again is a deliberate choice); every other row shows what is stored now. Also returns what
    is stored now, by goal and policy, to show beside the typed rows."""
    fresh_goals = _goal_forms(strategy, year, None)
    fresh_policies = _policy_forms(strategy, year, None, proposals)
    data = data.copy()
    stored = {}
    for row, form in fresh_goals + fresh_policies:
        data[form.add_prefix("seen")] = form["seen"].initial
        if form.instance.pk:
            stored[row] = _shown(form.instance)
    retyped_goals = dict(_goal_forms(strategy, year, data))
    retyped_policies = dict(_policy_forms(strategy, year, data, proposals))
    return (
        [(goal, retyped_goals[goal] if goal in touched else form) for goal, form in fresh_goals],
        [
            (policy, retyped_policies[policy] if policy in touched else form)
            for policy, form in fresh_policies
        ],
        stored,
    )


def _shown(row: GoalEvaluation | PolicyDirection) -> str:
    if isinstance(row, GoalEvaluation):
        return row.text
    return row.get_direction_display() + (f"（{row.note}）" if row.note else "")
