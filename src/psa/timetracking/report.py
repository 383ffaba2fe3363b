"""What `certification` reads of the hours report, kept here while that module is split into
rules, services and selectors on another branch (issue #9): the quarter's totals, the chunk size
and the report itself (its tests compare the screen with `certification.report.hours_report`).
The hours report is `report_selectors` (reads) and `report_files` (XLSX, CSV, the team ZIP);
once certification imports those, this module goes."""

from psa.timetracking.report_selectors import CHUNK, hours_report, team_totals

__all__ = ["CHUNK", "hours_report", "team_totals"]
