from lib.colours import INK, text_colour_on


def test_text_colour_reads_on_every_grade_colour():
    assert text_colour_on("#d9a400") == INK
    assert text_colour_on("#1a7f37") == "#ffffff"
    assert text_colour_on("bogus") == "#ffffff"
