"""Template tags for page layout shared by every screen."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext

register = template.Library()


class ScrollBoxNode(template.Node):
    def __init__(self, label, nodelist):
        self.label = label
        self.nodelist = nodelist

    def render(self, context):
        return format_html(
            '<div class="scroll-box"><p class="scroll-note" aria-hidden="true">{}</p>'
            '<div class="table-scroll" tabindex="0" role="region" aria-label="{}">{}</div></div>',
            gettext("横にスクロールできます"),
            self.label.resolve(context),
            self.nodelist.render(context),
        )


@register.tag
def scrollbox(parser, token):
    """{% scrollbox label %}<table>…</table>{% endscrollbox %}: a wide table scrolls inside its own box.

    The page itself never scrolls sideways on a phone or a tablet; the box is a named region keyboard users
    can focus and scroll, with a shadow at the edge that has more and a note static/js/tables.js shows
    while there is more to see.
    """
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("scrollbox takes one argument: the region's label")
    nodelist = parser.parse(("endscrollbox",))
    parser.delete_first_token()
    return ScrollBoxNode(parser.compile_filter(bits[1]), nodelist)
