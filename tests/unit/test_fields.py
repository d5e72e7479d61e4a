"""Scenario figures in words, as the report and the workbook show them."""

from sim.language import speaking
from sim.output.fields import describe


def test_a_schedule_of_referrals_reads_as_counts_by_calendar_month():
    schedule = [{"month": 0, "count": 8}, {"month": 1, "count": 16}, {"month": 2, "count": 81},
                {"month": 3, "count": 81}, {"month": 4, "count": 81}]
    assert describe("referrals.schedule", schedule, "2018-01") == \
        "8 in Jan 2018; 16 in Feb 2018; 81 a month, Mar 2018 to May 2018"
    assert describe("referrals.schedule", schedule[:1], None) == "8 in month 0"
    with speaking("nl"):
        assert describe("referrals.schedule", schedule, "2018-01") == \
            "8 in jan 2018; 16 in feb 2018; 81 per maand, mrt 2018 tot en met mei 2018"


def test_a_schedule_of_places_reads_period_by_period():
    schedule = [{"from_month": 0, "places": 20}, {"from_month": 12, "places": 40}]
    assert describe("stages.training.slots", schedule, "2021-11") == "20 from Nov 2021; 40 from Nov 2022"
    assert describe("stages.training.slots", schedule, None) == "20 from month 0; 40 from month 12"


def test_the_next_stage_is_named_in_words_not_as_its_key():
    assert describe("stages.training.next", "job_search", None) == "job search"
