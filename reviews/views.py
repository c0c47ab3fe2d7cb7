"""Council meetings, opinions and their responses, and the yearly evaluations of goals and policies."""

import copy
from collections import Counter
from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from accounts.access import (
    can_manage_meetings,
    can_record_opinions,
    can_respond_to_opinions,
    can_write_evaluations,
    has_any_role,
    is_council,
    opinion_for_edit_or_403,
    post_requires,
    require,
)
from accounts.strategy import current_strategy_or_404
from goals.models import Goal, Policy, Strategy
from kpis.models import ActualValue, Indicator, Kind, NextStep
from kpis.rules.evaluation import (
    Evaluation,
    lean_evaluations,
    scale_for,
    stored_results,
    stored_rollup_by_goal,
)
from lib.uploads import UploadRefused, extension_of, too_large_message
from reviews import documents, queries, services
from reviews.documents import CheckedDocument, InMemoryUpload, check_document
from reviews.forms import (
    GoalEvaluationForm,
    MeetingEditForm,
    MeetingForm,
    OpinionFilterForm,
    OpinionForm,
    OpinionStartForm,
    PolicyDirectionForm,
    ResponseForm,
)
from reviews.models import GoalEvaluation, Meeting, MeetingDocument, Opinion, PolicyDirection


def _plan_year(strategy: Strategy, fiscal_year: int) -> int:
    if fiscal_year not in strategy.plan_years:
        raise Http404(_("計画期間外の年度です。"))
    return fiscal_year


@require(has_any_role)
def meeting_list(request: HttpRequest) -> HttpResponse:
    """The meetings to come (the next one first), then those held (the latest first)."""
    strategy = current_strategy_or_404(request)
    post_requires(request, can_manage_meetings, "only the planning office creates meetings")
    form = MeetingForm(request.POST if request.method == "POST" else None, strategy=strategy)
    if request.method == "POST" and form.is_valid():
        meeting = services.meeting_create(
            user=request.user, strategy=strategy, meeting=form.save(commit=False)
        )
        messages.success(request, _("会議を登録しました。"))
        return redirect(meeting)
    today = timezone.localdate()
    meetings = Meeting.objects.filter(strategy=strategy).annotate(opinion_count=Count("opinions"))
    return render(
        request,
        "reviews/meeting_list.html",
        {
            "upcoming": meetings.upcoming(today),
            "past": meetings.past(today),
            "form": form,
            "can_manage": can_manage_meetings(request.user),
        },
        status=400 if form.errors else 200,
    )


@require(has_any_role)
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A meeting: its record, the KPIs' grades by goal and the KGIs in the year it reviews, the opinions
    raised at it and those carried into its year."""
    strategy = current_strategy_or_404(request)
    meeting = get_object_or_404(Meeting, pk=pk, strategy=strategy)
    year = meeting.fiscal_year
    scale = scale_for(strategy)
    raised = Opinion.objects.filter(meeting=meeting).with_related()
    # Last year's opinions with their follow-up, and older ones until they are settled.
    carried = Opinion.objects.carried_into(strategy, year).exclude(meeting=meeting).with_related()
    return render(
        request,
        "reviews/meeting_detail.html",
        {
            "meeting": meeting,
            "kgis": _kgi_evaluations(strategy, year),
            # Read lean, as the dashboards do: the stored grades as plain values, no figure objects.
            "rollups": stored_rollup_by_goal(
                Indicator.objects.of_strategy(strategy).filter(kind=Kind.KPI),
                strategy.goals.order_by("number"),
                year,
                scale,
                internal=True,
            ),
            "labels": scale.labels,
            "raised": raised,
            "carried": carried,
            "evaluations_by_goal": {
                e.goal_id: e for e in GoalEvaluation.objects.filter(goal__strategy=strategy, fiscal_year=year)
            },
            "can_record": can_record_opinions(request.user),
            "can_manage": can_manage_meetings(request.user),
            "document": MeetingDocument.objects.described().filter(meeting=meeting).first(),
        },
    )


def _kgi_evaluations(strategy: Strategy, year: int) -> list[Evaluation]:
    """The KGIs' results in the meeting's year as stored, each with its figure of that year (its 承認前
    mark): not every year's figures and results of each (with_figures), which the page does not show."""
    kgis = queries.meeting_kgis(strategy)
    results = stored_results(strategy, [year], internal=True, indicators=kgis)
    figures = queries.kgi_figures(strategy, year)
    return [
        replace(e, records={year: figures[e.indicator.pk]}) if e.indicator.pk in figures else e
        for e in lean_evaluations(list(kgis), results, [year], internal=True)
    ]


HISTORY_SHOWN = 50


def _meeting_edit_page(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    """The edit page with the meeting's history and its attached file's, newest first."""
    meeting = context["meeting"]
    rows = [
        *meeting.history.select_related("history_user").order_by("-history_date")[:HISTORY_SHOWN],
        *MeetingDocument.history.filter(meeting_id=meeting.pk)
        .select_related("history_user")
        .order_by("-history_date")[:HISTORY_SHOWN],
    ]
    context["history"] = sorted(rows, key=lambda row: row.history_date, reverse=True)[:HISTORY_SHOWN]
    return render(request, "reviews/meeting_edit.html", context, status=status)


@require(can_manage_meetings)
@csrf_exempt  # only for the refusal below, which reads nothing; the form itself is CSRF-checked
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The planning office's editor of a meeting: agenda, attendees, minutes and the attached file."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if request.method == "POST" and declared.isdigit() and int(declared) > _EDIT_REQUEST_LIMIT:
        # Refused from its declared length, before anything (the CSRF check too) reads the body.
        return _too_large(request, pk, int(declared))
    # The attached file stays in memory, never in a temporary file on the server's disk.
    request.upload_handlers = [InMemoryUpload(request)]
    return _meeting_edit(request, pk)


_EDIT_REQUEST_LIMIT = documents.MAX_BYTES + documents.REQUEST_OVERHEAD


def _too_large(request: HttpRequest, pk: int, size: int) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    meeting = get_object_or_404(Meeting, pk=pk, strategy=strategy)
    stored = MeetingDocument.objects.described().filter(meeting=meeting).first()
    refusal = _("%(field)s：%(reason)s") % {
        "field": MeetingEditForm.base_fields["document"].label,
        "reason": too_large_message(size, documents.MAX_BYTES),
    }
    context = {
        "meeting": meeting,
        "form": _edit_form(None, meeting, stored),
        "document": stored,
        "refusals": [refusal],
    }
    return _meeting_edit_page(request, context, status=413)


def _edit_form(data, meeting: Meeting, stored: MeetingDocument | None, files=None) -> MeetingEditForm:
    return MeetingEditForm(
        data,
        files,
        instance=meeting,
        strategy=meeting.strategy,
        seen=services.meeting_marker(meeting, stored),
        has_document=stored is not None,
    )


def _checked_upload(form: MeetingEditForm) -> CheckedDocument | None:
    """The uploaded file once every check passed; None (and the error beside the field) when refused."""
    upload = form.cleaned_data.get("document")
    if not upload:
        return None
    data = upload.read(documents.MAX_BYTES + 1)
    try:
        return check_document(upload.name or "", data, size=upload.size)
    except UploadRefused as refused:
        form.add_error("document", str(refused))
        return None


@csrf_protect
def _meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    meeting = get_object_or_404(Meeting.objects.select_related("strategy"), pk=pk, strategy=strategy)
    stored = MeetingDocument.objects.described().filter(meeting=meeting).first()
    if request.method != "POST":
        context = {"meeting": meeting, "form": _edit_form(None, meeting, stored), "document": stored}
        return _meeting_edit_page(request, context)
    form = _edit_form(request.POST, copy.copy(meeting), stored, request.FILES)
    upload = _checked_upload(form) if form.is_valid() else None
    context = {"meeting": meeting, "form": form, "document": stored}
    if form.errors:
        return _meeting_edit_page(request, context, status=400)
    try:
        services.meeting_update(
            user=request.user,
            pk=meeting.pk,
            changes=form.changes(),
            seen=form.cleaned_data["seen"],
            reason=form.cleaned_data["reason"],
            document=upload,
            remove_document=form.cleaned_data.get("remove_document", False),
        )
    except services.Conflict as conflict:
        return _meeting_conflict(request, meeting.pk, conflict.message, had_file=upload is not None)
    messages.success(request, _("会議の内容を保存しました。"))
    return redirect(meeting)


def _meeting_conflict(request: HttpRequest, pk: int, notice: str, *, had_file: bool) -> HttpResponse:
    """409: what the other person saved, beside the form as this person filled it (now marked against the
    stored meeting, so that saving again is a deliberate choice). A chosen file must be chosen again."""
    current = Meeting.objects.select_related("strategy").get(pk=pk)
    stored = MeetingDocument.objects.described().filter(meeting=current).first()
    data = request.POST.copy()
    data["seen"] = services.meeting_marker(current, stored)
    data.pop("remove_document", None)
    form = _edit_form(data, copy.copy(current), stored)
    form.is_valid()
    if had_file:
        notice += _("選んだファイルは保存していません。もう一度選んでください。")
    messages.error(request, notice)
    context = {"meeting": current, "form": form, "document": stored, "current": current}
    return _meeting_edit_page(request, context, status=409)


@require(has_any_role)
def meeting_document(request: HttpRequest, pk: int) -> HttpResponse:
    """The file attached to a meeting, as a download (never shown inside the site's pages)."""
    strategy = current_strategy_or_404(request)
    document = get_object_or_404(MeetingDocument, meeting__pk=pk, meeting__strategy=strategy)
    response = HttpResponse(bytes(document.data), content_type=document.content_type)
    response["Content-Disposition"] = documents.content_disposition(
        document.filename, f"meeting-{pk}-document.{extension_of(document.filename)}"
    )
    response["Content-Length"] = str(len(response.content))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _subject(strategy: Strategy, query) -> Goal | Indicator | None:
    """The goal or indicator named in the query (?goal=G1 or ?indicator=G1-KGI1, codes or ids), of this
    plan; 404 when there is no such one, 400 when both are named."""
    goal, indicator = query.get("goal", ""), query.get("indicator", "")
    if goal and indicator:
        raise BadRequest(_("基本目標と指標はどちらか一方だけを指定してください。"))
    if goal:
        return _by_code_or_id(Goal.objects.filter(strategy=strategy), goal)
    if indicator:
        return _by_code_or_id(Indicator.objects.filter(strategy=strategy), indicator)
    return None


def _by_code_or_id(queryset, key: str):
    found = queryset.filter(code=key).first()
    if found is None and key.isdigit():
        found = queryset.filter(pk=int(key)).first()
    if found is None:
        raise Http404(_("指定された基本目標または指標はこの計画にありません。"))
    return found


def _speaker_initial(request: HttpRequest) -> dict:
    """A council member speaks for themselves: their name is the speaker unless they change it."""
    if is_council(request.user):
        return {"speaker": request.user.get_full_name() or request.user.username}
    return {}


@require(can_record_opinions)
def opinion_new(request: HttpRequest) -> HttpResponse:
    """An opinion on the goal or indicator being read, for a meeting chosen on the form (the next one
    first); afterwards the person is back on that page."""
    strategy = current_strategy_or_404(request)
    subject = _subject(strategy, request.GET)
    meetings = Meeting.objects.filter(strategy=strategy).order_by("-date", "-pk")
    default_page = subject.get_absolute_url() if subject else reverse("reviews:meetings")
    back = _back(request, default_page)
    initial = _speaker_initial(request)
    next_meeting = meetings.next_or_latest(timezone.localdate())
    if next_meeting is not None:
        initial["meeting"] = next_meeting.pk
    form = OpinionStartForm(request.POST or None, meetings=meetings, initial=initial)
    if request.method == "POST" and form.is_valid():
        opinion = form.save(commit=False)
        opinion.goal = subject if isinstance(subject, Goal) else None
        opinion.indicator = subject if isinstance(subject, Indicator) else None
        services.opinion_create(user=request.user, meeting=form.cleaned_data["meeting"], opinion=opinion)
        messages.success(request, _("意見・提言を登録しました。"))
        return redirect(back)
    context = {
        "form": form,
        "subject": subject,
        "subject_kind": "goal" if isinstance(subject, Goal) else "indicator" if subject else "",
        "back": back,
        "has_meetings": next_meeting is not None,
    }
    return render(request, "reviews/opinion_new.html", context, status=400 if form.errors else 200)


@require(can_record_opinions)
def opinion_create(request: HttpRequest, pk: int) -> HttpResponse:
    strategy = current_strategy_or_404(request)
    meeting = get_object_or_404(Meeting, pk=pk, strategy=strategy)
    initial = _speaker_initial(request)
    subject = _subject(strategy, request.GET)
    if subject is not None:
        initial["goal" if isinstance(subject, Goal) else "indicator"] = subject  # a list's pk or a code
    back = _back(request, meeting.get_absolute_url())
    form = OpinionForm(request.POST or None, strategy=strategy, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.opinion_create(user=request.user, meeting=meeting, opinion=form.save(commit=False))
        messages.success(request, _("意見・提言を登録しました。"))
        return redirect(back)
    context = {"form": form, "meeting": meeting, "back": back}
    return render(request, "reviews/opinion_form.html", context, status=400 if form.errors else 200)


OPINIONS_PER_PAGE = 50


def _opinion_list_page(request: HttpRequest, opinions, context: dict, status: int = 200) -> HttpResponse:
    page = Paginator(
        opinions.with_related().order_by("-fiscal_year", "-meeting__date", "-pk"), OPINIONS_PER_PAGE
    )
    context["page"] = page.get_page(request.GET.get("page"))
    context["query"] = _query_without_page(request)
    return render(request, "reviews/opinion_list.html", context, status=status)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require(can_record_opinions)
def my_opinions(request: HttpRequest) -> HttpResponse:
    """The opinions this person recorded, in every year and meeting, with the planning office's response."""
    strategy = current_strategy_or_404(request)
    opinions = Opinion.objects.filter(strategy=strategy, author=request.user)
    return _opinion_list_page(request, opinions, {"mine": True})


@require(can_respond_to_opinions)
def opinion_list(request: HttpRequest) -> HttpResponse:
    """Every opinion, by follow-up state and year, for the planning office to answer."""
    strategy = current_strategy_or_404(request)
    form = OpinionFilterForm(request.GET or None, strategy=strategy)
    opinions = Opinion.objects.filter(strategy=strategy)
    if form.is_bound and not form.is_valid():
        return _opinion_list_page(request, opinions.none(), {"mine": False, "form": form}, status=400)
    if form.is_bound:
        opinions = form.filter(opinions)
    return _opinion_list_page(request, opinions, {"mine": False, "form": form})


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
    status = 400 if form.errors else 200
    return _opinion_page(request, "reviews/opinion_form.html", {**context, "form": form}, status)


@require(can_respond_to_opinions)
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
    return _opinion_page(request, "reviews/opinion_respond.html", context, 400 if form.errors else 200)


def proposed_directions(strategy: Strategy, fiscal_year: int) -> dict[int, str]:
    """Per policy, the 今後の方向性 most of its KPIs' departments gave this year (ties: the order of NextStep)."""
    steps: dict[int, Counter] = {}
    # Plain pairs, not a model object per figure: a year of a large plan has thousands.
    by_indicator = dict(
        ActualValue.objects.filter(
            indicator__strategy=strategy, fiscal_year=fiscal_year, indicator__kind=Kind.KPI
        )
        .exclude(next_step="")
        .values_list("indicator_id", "next_step")
    )
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
