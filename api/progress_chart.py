"""The dashboard's progress over time as an accessible SVG drawn on the server (no script, no CDN; the CSP
stays strict): tasks done, cumulated, against a vertical scale from 0 to the plan's task count (so 2 of 156
sits near the bottom, not at the top), dates placed in proportion to the time between them, both axes with
ticks, labels and titles, each point's value in its <title>."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

W, H = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 48


def even_ticks(top: int) -> list[int]:
    """0 and equal round steps up to the first step at or above `top` (an axis whose labels are evenly spaced)."""
    steps = ticks(top)
    step = steps[1] - steps[0] if len(steps) > 1 else 1
    return list(range(0, -(-top // step) * step + 1, step))


def ticks(top: int) -> list[int]:
    """0 and up to four more round steps reaching `top`."""
    if top <= 4:
        return list(range(0, top + 1))
    step = max(1, -(-top // 4))
    for nice in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if nice >= step:
            step = nice
            break
    return [*range(0, top, step), top]


def progress_svg(points: list[dict[str, Any]], total: int, title: str) -> str:
    """`points`: [{"date": "2025-04-30", "done": 3}, …] in date order; `total`: the plan's task count."""
    days = [date.fromisoformat(str(p["date"])) for p in points]
    start = date(days[0].year, days[0].month, 1)
    span = max(1, (days[-1] - start).days)
    top = max(total, max(int(p["done"]) for p in points), 1)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(day: date) -> float:
        return LEFT + plot_w * (day - start).days / span

    def y(value: int) -> float:
        return TOP + plot_h * (1 - value / top)

    out = [f'<svg class="progress-chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="pc-title pc-desc" '
           f'xmlns="http://www.w3.org/2000/svg"><title id="pc-title">{escape(title)}</title>'
           f'<desc id="pc-desc">Trục dọc: số nhiệm vụ đã hoàn thành, lũy kế, từ 0 đến {top} (tổng số nhiệm vụ); '
           f'trục ngang: thời gian, từ {start.strftime("%d/%m/%Y")} đến {days[-1].strftime("%d/%m/%Y")}.</desc>']
    for value in ticks(top):  # horizontal grid and the vertical scale
        out.append(f'<line x1="{LEFT}" y1="{y(value):.1f}" x2="{W - RIGHT}" y2="{y(value):.1f}" stroke="#e5e7eb"/>'
                   f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11" fill="#374151">'
                   f'{value}</text>')
    out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#374151"/>'
               f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{W - RIGHT}" y2="{TOP + plot_h}" stroke="#374151"/>')
    for day in days:  # a tick under each point, at its place in time
        out.append(f'<line x1="{x(day):.1f}" y1="{TOP + plot_h}" x2="{x(day):.1f}" y2="{TOP + plot_h + 4}" '
                   f'stroke="#374151"/><text x="{x(day):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" '
                   f'font-size="10" fill="#374151">{day.strftime("%d/%m")}</text>')
    line = " ".join(f"{x(d):.1f},{y(int(p['done'])):.1f}" for d, p in zip(days, points, strict=True))
    out.append(f'<polyline fill="none" stroke="#1d4ed8" stroke-width="2" points="{line}"/>')
    for day, point in zip(days, points, strict=True):
        out.append(f'<circle class="point" data-date="{day.isoformat()}" data-done="{int(point["done"])}" '
                   f'cx="{x(day):.1f}" cy="{y(int(point["done"])):.1f}" r="3.5" fill="#1d4ed8">'
                   f'<title>{day.strftime("%d/%m/%Y")}: {int(point["done"])} nhiệm vụ đã hoàn thành</title></circle>')
    out.append(f'<text x="{LEFT + plot_w / 2:.1f}" y="{H - 8}" text-anchor="middle" font-size="12" fill="#111827">'
               f'Thời gian (cuối mỗi tháng)</text><text transform="translate(14 {TOP + plot_h / 2:.1f}) rotate(-90)" '
               f'text-anchor="middle" font-size="12" fill="#111827">Số nhiệm vụ đã hoàn thành (lũy kế)</text></svg>')
    return "".join(out)
