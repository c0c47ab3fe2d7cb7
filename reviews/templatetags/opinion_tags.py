"""What the person reading a page may do with an opinion, asked of the same rules the views enforce."""

from dataclasses import dataclass

from django import template

from accounts.access import can_edit_opinion, can_respond_to_opinions
from reviews.services import closed_to

register = template.Library()


@dataclass(frozen=True)
class OpinionAccess:
    edit: bool  # the edit link is shown
    closed: bool  # theirs, but settled as 対応済: the page says why it cannot be edited
    respond: bool  # the response link is shown


@register.simple_tag(takes_context=True)
def opinion_access(context, opinion) -> OpinionAccess:
    """{% opinion_access opinion as access %}: access.edit, access.closed, access.respond."""
    user = context["user"]
    own = can_edit_opinion(user, opinion)
    closed = own and closed_to(user, opinion)
    return OpinionAccess(edit=own and not closed, closed=closed, respond=can_respond_to_opinions(user))
