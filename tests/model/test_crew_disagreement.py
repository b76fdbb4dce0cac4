"""Two crew sources compared: the verdict follows the reports, asked again or anew."""

from __future__ import annotations

from issdash.feeds.adapters.crew import CrewMember, CrewReport
from issdash.model.crew_roster import describe_disagreement


def _report(source: str, *names: str) -> CrewReport:
    people = tuple(CrewMember(name=n, on_iss=True, station="ISS") for n in names)
    return CrewReport.model_validate({"source": source, "people": people})


def test_the_verdict_follows_the_reports_each_time_asked() -> None:
    crew = _report("corquaid", "Ann Lee", "Bo Chen")
    astros = _report("open-notify", "Ann Lee", "Bo Chen")
    for _ in range(2):  # asked every second with the same reports
        assert describe_disagreement(crew, astros) is None
    short = _report("open-notify", "Ann Lee", "Cy Dow")
    for _ in range(2):
        assert describe_disagreement(crew, short) == "open-notify does not list Bo Chen"
    # Equal content in new reports, then the first pair again.
    assert describe_disagreement(crew, _report("open-notify", "Ann Lee", "Bo Chen")) is None
    assert describe_disagreement(astros, crew) is None
    fewer = _report("open-notify", "Ann Lee")
    assert describe_disagreement(crew, fewer) == "open-notify lists 1 aboard, corquaid 2"
    assert describe_disagreement(crew, short) == "open-notify does not list Bo Chen"
