import pytest
from django.core.management import call_command


@pytest.fixture
def plan(db):
    """The real 第３期 plan, loaded from its fixture."""
    call_command("load_plan", verbosity=0)
    from goals.models import Strategy

    return Strategy.objects.get(code="dai3ki")
