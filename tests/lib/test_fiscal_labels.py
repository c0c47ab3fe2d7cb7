"""Days and fiscal years as people read them, in Japanese (both calendars) and in English (no 和暦)."""

import datetime

from django.utils import translation

from lib.fiscal import date_label, deadline_label, fiscal_year_label, fiscal_year_lines, short_date_label

DAY = datetime.date(2026, 7, 15)


def test_a_day_in_japanese_carries_both_calendars():
    with translation.override("ja"):
        assert date_label(DAY) == "2026年7月15日（令和8年7月15日）"
        assert short_date_label(DAY) == "2026年7月15日"
        assert (
            deadline_label(DAY, datetime.date(2026, 7, 10))
            == "2026年7月15日（令和8年7月15日）（締切まであと5日）"
        )


def test_a_day_in_english_reads_day_month_year_without_the_era():
    with translation.override("en"):
        assert date_label(DAY) == "15 July 2026"
        assert date_label(datetime.date(2027, 1, 3)) == "3 January 2027"
        assert short_date_label(DAY) == "15 July 2026"
        assert deadline_label(DAY, datetime.date(2026, 7, 10)) == "15 July 2026 (5 days to the deadline)"


def test_fiscal_years_in_english_read_fy_and_the_romanised_era_on_one_line_or_two():
    with translation.override("en"):
        assert fiscal_year_label(2025) == "FY2025 (Reiwa 7)"
        assert fiscal_year_lines(2025) == ("FY2025", "Reiwa 7")
    with translation.override("ja"):
        assert fiscal_year_lines(2025) == ("2025年度", "令和7年度")
