"""Local fixtures for the dashboard tests: figures in every state, and a client per role."""

import pytest
from django.test import Client

from accounts.access import Role
from kpis.models import ActualValue
from tests.support.factories import make_user, set_actual
from tests.support.visibility import APPROVED_VALUE, DRAFT_VALUE, SUBMITTED_VALUE


@pytest.fixture
def figures(plan, departments):
    """FY2025 figures: an approved KGI (B+ 99.6%), a draft and a submitted KPI with internal notes."""
    return {
        "approved": set_actual(
            "G1-KGI1", 2025, APPROVED_VALUE, note="承認済みの備考", cause_analysis="承認済みの要因分析"
        ),
        "draft": set_actual(
            "G2-KGI1",
            2025,
            DRAFT_VALUE,
            status=ActualValue.Status.DRAFT,
            note="内部の備考メモ",
            cause_analysis="内部の要因分析メモ",
        ),
        "submitted": set_actual("G2-KGI2", 2025, SUBMITTED_VALUE, status=ActualValue.Status.SUBMITTED),
    }


@pytest.fixture
def client_as(users):
    """client_as("council") → a Client signed in as that role's user; "anonymous" → a plain Client."""

    def make(role: str) -> Client:
        client = Client()
        if users[role] is not None:
            client.force_login(users[role])
        return client

    return make


@pytest.fixture
def reader():
    """A client signed in as the planning office, who may read every page (the synthetic plans have no
    demo users)."""
    client = Client()
    client.force_login(make_user("planner", Role.PLANNING))
    return client
