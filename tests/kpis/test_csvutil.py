from decimal import Decimal

import pytest

from lib.csvsafe import csv_bytes, neutralise_formula


@pytest.mark.parametrize("text", ["=1+1", "+81-3", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_would_run_as_a_formula_is_neutralised(text):
    assert neutralise_formula(text) == "'" + text


@pytest.mark.parametrize("value", ["普通の備考", "", Decimal("-12.5"), 3, None])
def test_other_values_pass_unchanged(value):
    assert neutralise_formula(value) == value


def test_csv_is_utf8_with_a_bom_and_neutralised():
    data = csv_bytes(["コード", "備考"], [["G1-KGI1", "=1+1"], ["G2-KGI1", None]])
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines() == ["コード,備考", "G1-KGI1,'=1+1", "G2-KGI1,"]
