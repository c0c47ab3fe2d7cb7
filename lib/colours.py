"""Colours for grades: which text reads on a band's colour (WCAG contrast), the same on the web and in Excel."""

# The page's text colour (static/css/app.css), also used in charts.
INK = "#1f2328"
WHITE = "#ffffff"


def _luminance(colour: str) -> float | None:
    """WCAG relative luminance of #RRGGBB (a colour computation, not a figure: float is fine here)."""
    try:
        if len(colour) != 7 or not colour.startswith("#"):
            raise ValueError(colour)
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    except (ValueError, TypeError):
        return None
    red, green, blue = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: float, second: float) -> float:
    light, dark = max(first, second), min(first, second)
    return (light + 0.05) / (dark + 0.05)


def text_colour_on(background: str) -> str:
    """Dark ink or white text, whichever has the higher contrast ratio on a #RRGGBB background."""
    back = _luminance(background)
    if back is None:
        return WHITE
    return INK if contrast_ratio(back, _luminance(INK)) > contrast_ratio(back, 1.0) else WHITE
