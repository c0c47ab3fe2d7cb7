"""The audit log: the planning office reads every recorded change, who, when, before → after and why."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from goals.models import Goal
from kpis.models import ActualValue, Indicator
from office import audit
from tests.support.entry import login

URL = "/audit/"


def _save(obj, user, reason):
    obj._history_user, obj._change_reason = user, reason
    obj.save()
    return obj


@pytest.fixture
def figure(plan, users):
    """A figure entered by staff, then corrected by the planning office."""
    indicator = Indicator.objects.get(code="G3-M1-K1")
    actual = _save(
        ActualValue(indicator=indicator, fiscal_year=2025, value=Decimal("277835.5")),
        users["staff_own"],
        "入力",
    )
    actual.value = Decimal("1234567.25")
    actual.status = ActualValue.Status.APPROVED
    return _save(actual, users["planning"], "集計表の転記ミスを訂正")


def _entries(response):
    return response.context["entries"]


def test_only_the_planning_office_reads_the_audit_log(client, figure, users):
    assert client.get(URL).url.startswith(reverse("login"))
    for who in ("staff_own", "council"):
        login(client, users[who])
        assert client.get(URL).status_code == 403
    login(client, users["planning"])
    assert client.get(URL).status_code == 200


def test_a_correction_shows_who_when_the_readable_before_and_after_and_why(client, figure, users):
    login(client, users["planning"])
    response = client.get(URL, {"kind": "kpis.actualvalue"})
    newest = _entries(response)[0]

    assert (newest.who, newest.kind, newest.action) == ("planning", "実績値", "changed")
    assert newest.reason == "集計表の転記ミスを訂正"
    assert newest.url == Indicator.objects.get(code="G3-M1-K1").get_absolute_url()
    assert ("実績値", "277,835.5", "1,234,567.25") in [(c.label, c.before, c.after) for c in newest.changes]
    assert ("状態", "入力中", "承認済") in [(c.label, c.before, c.after) for c in newest.changes]
    html = response.content.decode()
    assert "1,234,567.25" in html and "集計表の転記ミスを訂正" in html
    assert timezone.localtime(newest.when).date() == timezone.localdate()


def test_a_new_record_lists_what_it_was_created_with(client, figure, users):
    login(client, users["planning"])
    created = _entries(client.get(URL, {"kind": "kpis.actualvalue"}))[1]
    assert created.action == "created" and created.who == "staff-own" and created.reason == "入力"
    assert ("実績値", "−", "277,835.5") in [(c.label, c.before, c.after) for c in created.changes]
    assert ("年度", "−", "2025年度（令和7年度）") in [(c.label, c.before, c.after) for c in created.changes]


def test_department_members_show_by_name(client, plan, users, departments):
    department = departments[1]
    department._history_user, department._change_reason = users["planning"], "兼務の発令"
    department.members.add(users["staff_own"])
    login(client, users["planning"])

    newest = _entries(client.get(URL, {"kind": "goals.department"}))[0]

    assert newest.reason == "兼務の発令" and newest.who == "planning"
    assert [(c.label, c.before, c.after) for c in newest.changes] == [
        ("所属職員", "staff-other", "staff-other、staff-own")
    ]


def test_a_deleted_record_is_named_and_not_linked(client, figure, users):
    figure._history_user, figure._change_reason = users["planning"], "重複"
    figure.delete()
    login(client, users["planning"])
    newest = _entries(client.get(URL))[0]
    assert (newest.action, newest.url, newest.reason) == ("deleted", "", "重複")
    assert newest.record.startswith("G3-M1-K1 2025")


def test_filters_by_kind_user_and_dates(client, figure, users):
    goal = Goal.objects.get(code="G1")
    old_title, goal.title = goal.title, "新しい名称"
    _save(goal, users["staff_own"], "表記の統一")
    # The goal's whole history (its loading, then the edit) happened weeks ago.
    for history_id, days in zip(
        Goal.history.filter(id=goal.pk).values_list("history_id", flat=True), (40, 41), strict=True
    ):
        Goal.history.filter(history_id=history_id).update(history_date=timezone.now() - timedelta(days=days))
    login(client, users["planning"])

    by_user = _entries(client.get(URL, {"user": users["staff_own"].pk}))
    assert {e.reason for e in by_user} == {"入力", "表記の統一"}
    by_kind = _entries(client.get(URL, {"kind": "goals.goal", "user": users["staff_own"].pk}))
    assert [e.reason for e in by_kind] == ["表記の統一"]
    assert [(c.label, c.before, c.after) for c in by_kind[0].changes] == [("名称", old_title, "新しい名称")]
    today = timezone.localdate()
    recent = _entries(
        client.get(URL, {"user": users["staff_own"].pk, "date_from": today - timedelta(days=7)})
    )
    assert [e.reason for e in recent] == ["入力"]
    old = _entries(client.get(URL, {"date_to": today - timedelta(days=30)}))
    assert [(e.reason, e.action) for e in old] == [
        ("表記の統一", "changed"),
        ("計画ファイルの読み込み", "created"),
    ]


def test_a_reversed_date_range_is_refused_with_a_message(client, figure, users):
    login(client, users["planning"])
    response = client.get(URL, {"date_from": "2026-05-01", "date_to": "2026-04-01"})
    assert response.status_code == 400
    assert "期間の始まりが終わりより後" in response.content.decode()


def test_the_log_is_paginated_newest_first_with_the_total(client, figure, users):
    login(client, users["planning"])
    total = sum(audit._history(model).count() for model in audit.tracked_models())
    first = client.get(URL)
    page = first.context["page"]
    assert page.paginator.count == total > 50
    assert f"{total}件の変更" in first.content.decode()
    dates = [e.when for e in _entries(first)]
    assert dates == sorted(dates, reverse=True) and len(dates) == 50
    last = client.get(URL, {"page": page.paginator.num_pages})
    assert len(_entries(last)) == total - 50 * (page.paginator.num_pages - 1)


def _changes(n, users, departments):
    """n rounds of changes to a figure, a goal and a department's members."""
    actual = ActualValue.objects.get(indicator__code="G3-M1-K1", fiscal_year=2025)
    goal = Goal.objects.get(code="G2")
    department = departments[1]
    for i in range(n):
        actual.value = Decimal(1000 + i)
        _save(actual, users["staff_own"], f"入力{i}")
        goal.description = f"説明{i}"
        _save(goal, users["planning"], f"説明{i}")
        department._history_user, department._change_reason = users["planning"], f"所属{i}"
        if i % 2:
            department.members.remove(users["council"])
        else:
            department.members.add(users["council"])


def _queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, params).status_code == 200
    return len(queries)


def test_the_log_reads_a_fixed_number_of_queries_however_long_the_history(client, figure, users, departments):
    login(client, users["planning"])
    _changes(20, users, departments)
    small = _queries(client)
    _changes(200, users, departments)
    assert _queries(client) == small
    assert _queries(client, page=3) == small
    assert small <= 30
