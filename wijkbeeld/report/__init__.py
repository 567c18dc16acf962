"""The wijkprofiel report: static, self-contained HTML built from the published release."""

from wijkbeeld.report.build import ReportError, ReportResult, build_report, wijkprofiel_dir

__all__ = ["ReportError", "ReportResult", "build_report", "wijkprofiel_dir"]
