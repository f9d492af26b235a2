"""The overview's figures: counts by status, p50/p95 durations, and the runs-over-time chart."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ..runs.rows import STATUSES, RunRow

#: The chart's colour of each status (the admin's own palette where it has one).
COLOURS = {
    "QUEUED": "#79aec8",
    "RUNNING": "#417690",
    "COMPLETED": "#70bf2b",
    "FAILED": "#ba2121",
    "CANCELLED": "#999999",
}


@dataclass
class JobStats:
    job: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    durations: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def p50(self) -> int | None:
        return percentile(self.durations, 50)

    @property
    def p95(self) -> int | None:
        return percentile(self.durations, 95)


def percentile(values: list[int], pct: float) -> int | None:
    """The nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def job_stats(rows: Iterable[RunRow], jobs: Iterable[str]) -> dict[str, JobStats]:
    """Per job: runs by status, and the durations of the finished ones."""
    stats = {job: JobStats(job) for job in jobs}
    for row in rows:
        entry = stats.setdefault(row.job, JobStats(row.job))
        if row.status in entry.counts:
            entry.counts[row.status] += 1
        if row.finished and row.duration_ms is not None and row.started_at is not None:
            entry.durations.append(row.duration_ms)
    return stats


def buckets(
    rows: Iterable[RunRow], end: datetime, hours: int = 24
) -> list[tuple[datetime, dict[str, int]]]:
    """Runs created in each hour up to ``end``, by status, oldest hour first."""
    start = end.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    result = [(start + timedelta(hours=i), dict.fromkeys(STATUSES, 0)) for i in range(hours)]
    for row in rows:
        if row.created_at is None or row.status not in STATUSES:
            continue
        index = int((row.created_at - start).total_seconds() // 3600)
        if 0 <= index < hours:
            result[index][1][row.status] += 1
    return result


def svg_chart(
    data: list[tuple[datetime, dict[str, int]]], width: int = 720, height: int = 160
) -> SafeString:
    """A stacked bar chart of runs per hour by status, as inline SVG (no script, no CDN)."""
    top = max((sum(counts.values()) for _, counts in data), default=0) or 1
    plot_h = height - 20
    bar_w = width / max(len(data), 1)
    bars = []
    for i, (hour, counts) in enumerate(data):
        y = float(plot_h)
        for status in STATUSES:
            n = counts[status]
            if not n:
                continue
            h = n / top * (plot_h - 10)
            y -= h
            bars.append(
                (
                    f"{i * bar_w + 1:.1f}",
                    f"{y:.1f}",
                    f"{max(bar_w - 2, 1):.1f}",
                    f"{h:.1f}",
                    COLOURS[status],
                    f"{hour:%H:00}: {n} {status.lower()}",
                )
            )
    labels = [
        (f"{i * bar_w + bar_w / 2:.1f}", height - 4, f"{hour:%H:00}")
        for i, (hour, _) in enumerate(data)
        if i % 3 == 0
    ]
    return format_html(
        '<svg class="hatchet-chart" role="img" viewBox="0 0 {} {}" width="100%" '
        'aria-label="Runs per hour over the last 24 hours, by status">'
        '<text x="2" y="10" class="hatchet-chart-axis">{} per hour max</text>{}{}'
        '<line x1="0" y1="{}" x2="{}" y2="{}" class="hatchet-chart-base"/></svg>',
        width,
        height,
        top,
        format_html_join(
            "",
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
            bars,
        ),
        format_html_join(
            "",
            '<text x="{}" y="{}" text-anchor="middle" class="hatchet-chart-axis">{}</text>',
            labels,
        ),
        plot_h,
        width,
        plot_h,
    )
