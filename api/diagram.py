"""A workflow's diagram as SVG, laid out from the definition by a small layered layout.

States sit in columns by their longest forward distance from the initial state; going-back
transitions (returns) curve above the row. A state entered from three or more states (withdrawn,
overdue) is a "hub": its sources drop onto one bus line and a single arrow enters it. Transitions that
keep the state (comments, urging) are listed under the drawing. No inline CSS (the pages' CSP forbids
it): presentation attributes only; every label is XML-escaped."""

from __future__ import annotations

from xml.sax.saxutils import escape

from phancap.engine.workflow import Workflow

BOX_W, BOX_H, GAP_X, ROW_H, MARGIN, TOP = 160, 50, 175, 150, 20, 150
FILL, FINAL_FILL, OVERDUE_FILL, CURRENT_FILL = "#eef2ff", "#dcfce7", "#fee2e2", "#fde68a"
HUB_COLOURS = ("#b91c1c", "#6b7280", "#7c3aed", "#0f766e")


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _edges(workflow: Workflow) -> tuple[dict[tuple[str, str], list[str]], list[str]]:
    edges: dict[tuple[str, str], list[str]] = {}
    keep: list[str] = []
    for t in workflow.transitions:
        if t.stage is not None:  # copies the engine derives for the overdue state: described in a note
            continue
        if t.dest is None:
            if t.label not in keep:
                keep.append(t.label)
            continue
        labels = edges.setdefault((t.source, t.dest), [])
        if t.label not in labels:
            labels.append(t.label)
    return edges, keep


def _layout(workflow: Workflow, edges: dict[tuple[str, str], list[str]],
            hubs: list[str]) -> tuple[dict[str, tuple[float, float]], set[tuple[str, str]]]:
    """Box positions, and the edges that go back (to a state on the depth-first path that reached them)."""
    names = list(workflow.states)
    out: dict[str, list[str]] = {n: [d for (s, d) in edges if s == n] for n in names}
    back: set[tuple[str, str]] = set()
    seen: dict[str, int] = {}
    order: list[str] = []

    def visit(u: str) -> None:
        seen[u] = 1
        for v in out[u]:
            if seen.get(v) == 1:
                back.add((u, v))
            elif v not in seen:
                visit(v)
        seen[u] = 2
        order.append(u)

    for n in [workflow.initial, *names]:
        if n not in seen:
            visit(n)
    column = dict.fromkeys(names, 0)
    for u in reversed(order):  # longest forward distance, in topological order
        for v in out[u]:
            if (u, v) not in back and u not in hubs and v not in hubs:
                column[v] = max(column[v], column[u] + 1)
    taken: set[tuple[int, int]] = set()
    pos: dict[str, tuple[float, float]] = {}
    for n in [n for n in names if n not in hubs] + hubs:
        if n in hubs and workflow.states[n].final:  # e.g. withdrawn: under the last column
            col, row = max(column[m] for m in names if m not in hubs), 1
        elif n in hubs:  # e.g. overdue: under the middle of the states it interrupts
            sources = [column[s] for (s, d) in edges if d == n and s not in hubs]
            col, row = (round(sum(sources) / len(sources)) if sources else column[n]), 1
        else:
            col, row = column[n], 0
        while (col, row) in taken:
            row += 1
        taken.add((col, row))
        pos[n] = (MARGIN + col * (BOX_W + GAP_X), TOP + row * ROW_H)
    return pos, back


def render_svg(workflow: Workflow, current: str | None = None) -> str:
    edges, keep = _edges(workflow)
    sources: dict[str, set[str]] = {}
    for (s, d) in edges:
        sources.setdefault(d, set()).add(s)
    hubs = sorted((n for n in workflow.states if len(sources.get(n, ())) >= 3),
                  key=lambda n: workflow.states[n].final)
    pos, back = _layout(workflow, edges, hubs)
    width = max(x for x, _ in pos.values()) + BOX_W + MARGIN + 90 * bool(hubs)
    height = max(y for _, y in pos.values()) + BOX_H + 100 + 16 * bool(keep)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" viewBox="0 0 {width:.0f} {height:.0f}" '
           f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{_attr(workflow.title)}">')
    out = [svg, f"<title>{escape(workflow.title)}</title>", "<defs>"]
    for i, colour in enumerate(("#374151", *HUB_COLOURS)):
        out.append(f'<marker id="arrow{i}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
                   f'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/>'
                   "</marker>")
    out.append("</defs>")
    out.append(f'<text x="{MARGIN}" y="{MARGIN + 8}" font-size="15" font-weight="bold" fill="#111827">'
               f"{escape(workflow.title)}</text>")
    for (s, d), labels in edges.items():
        if d not in hubs:
            out.append(_edge(pos[s], pos[d], " / ".join(labels), back=(s, d) in back))
    for k, hub in enumerate(hubs):
        labels = [lab for (s, d), ls in edges.items() if d == hub for lab in ls]
        out.append(_hub(k, [pos[s] for s in sorted(sources[hub])], pos[hub], " / ".join(dict.fromkeys(labels))))
    overdue = workflow.overdue.state if workflow.overdue else None
    for name, (x, y) in pos.items():
        out.append(_box(workflow, name, x, y, name == current, name == overdue))
    notes = []
    if overdue:
        label = workflow.states[overdue].label
        notes.append(f"Từ '{label}': các thao tác của bước bị gián đoạn vẫn tiếp tục theo đúng luồng.")
    if keep:
        notes.append("Không đổi trạng thái: " + ", ".join(keep) + ".")
    for i, note in enumerate(notes):
        out.append(f'<text x="{MARGIN}" y="{height - 12 - 16 * (len(notes) - 1 - i)}" font-size="12" '
                   f'fill="#4b5563">{escape(note)}</text>')
    out.append("</svg>")
    return "".join(out)


def _box(workflow: Workflow, name: str, x: float, y: float, current: bool, overdue: bool) -> str:
    state = workflow.states[name]
    fill = CURRENT_FILL if current else OVERDUE_FILL if overdue else FINAL_FILL if state.final else FILL
    stroke, width = ("#b45309", 4) if current else ("#1f2937", 1.5)
    extra = ""
    if state.final:  # a double border marks a final state
        extra = (f'<rect x="{x + 4}" y="{y + 4}" width="{BOX_W - 8}" height="{BOX_H - 8}" rx="7" fill="none" '
                 f'stroke="{stroke}" stroke-width="1"/>')
    mark = ' data-current="true"' if current else ""
    return (f'<g class="state" data-state="{_attr(name)}"{mark}>'
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="10" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="{width}"/>{extra}'
            f'<text x="{x + BOX_W / 2}" y="{y + 22}" text-anchor="middle" font-size="13" fill="#111827">'
            f"{escape(state.label)}</text>"
            f'<text x="{x + BOX_W / 2}" y="{y + 39}" text-anchor="middle" font-size="11" fill="#4b5563">'
            f"{'đang ở bước này' if current else 'kết thúc' if state.final else ''}</text></g>")


def _edge(a: tuple[float, float], b: tuple[float, float], label: str, back: bool) -> str:
    if back:  # a return: a curve above the row, from the top of one box to the top of the other
        sx, ex, y = a[0] + BOX_W * 0.35, b[0] + BOX_W * 0.65, a[1]
        lift = 38 + abs(sx - ex) / 10
        path = f"M{sx:.1f},{y:.1f} C{sx:.1f},{y - lift:.1f} {ex:.1f},{y - lift:.1f} {ex:.1f},{b[1]:.1f}"
        lx, ly = (sx + ex) / 2, y - lift * 0.75 - 4
    elif a[1] == b[1] and b[0] - a[0] > BOX_W + GAP_X:  # skips a column: a curve below the row
        sx, ex, y = a[0] + BOX_W * 0.65, b[0] + BOX_W * 0.35, a[1] + BOX_H
        drop = 34 + abs(ex - sx) / 10
        path = f"M{sx:.1f},{y:.1f} C{sx:.1f},{y + drop:.1f} {ex:.1f},{y + drop:.1f} {ex:.1f},{y:.1f}"
        lx, ly = (sx + ex) / 2, y + drop * 0.75 + 12
    elif a[1] == b[1]:
        sx, sy, ex, ey = a[0] + BOX_W, a[1] + BOX_H / 2, b[0], b[1] + BOX_H / 2
        path = f"M{sx:.1f},{sy:.1f} L{ex:.1f},{ey:.1f}"
        lx, ly = (sx + ex) / 2, sy - 7
    else:
        sx, sy, ex, ey = a[0] + BOX_W / 2, a[1] + BOX_H, b[0] + BOX_W / 2, b[1]
        path = f"M{sx:.1f},{sy:.1f} L{ex:.1f},{ey:.1f}"
        lx, ly = (sx + ex) / 2 + 6, (sy + ey) / 2
    return (f'<g class="transition"><path d="{path}" fill="none" stroke="#374151" stroke-width="1.5" '
            f'marker-end="url(#arrow0)"/><text x="{lx:.1f}" y="{ly:.1f}" text-anchor="middle" font-size="11" '
            f'fill="#1f2937">{escape(label)}</text></g>')


def _hub(k: int, sources: list[tuple[float, float]], target: tuple[float, float], label: str) -> str:
    """Every source drops onto one bus line below the main row; one arrow enters the hub state."""
    colour = HUB_COLOURS[k % len(HUB_COLOURS)]
    bus = TOP + BOX_H + 22 + 18 * k
    offset = (k - 0.5) * 14
    tx = target[0] + BOX_W / 2 + offset
    parts, xs = [], [tx]
    for sx, sy in sources:
        x = sx + BOX_W / 2 + offset
        xs.append(x)
        y0 = sy + BOX_H if sy < bus else sy
        parts.append(f"M{x:.1f},{y0:.1f} L{x:.1f},{bus:.1f}")
    parts.append(f"M{min(xs):.1f},{bus:.1f} L{max(xs):.1f},{bus:.1f}")
    arrow = f"M{tx:.1f},{bus:.1f} L{tx:.1f},{target[1]:.1f}"
    return (f'<g class="transition hub"><path d="{" ".join(parts)}" fill="none" stroke="{colour}" '
            f'stroke-width="1.3" stroke-dasharray="5 3"/><path d="{arrow}" fill="none" stroke="{colour}" '
            f'stroke-width="1.5" marker-end="url(#arrow{k % len(HUB_COLOURS) + 1})"/>'
            f'<text x="{tx + 6:.1f}" y="{(bus + target[1]) / 2 + 4:.1f}" font-size="11" fill="{colour}">'
            f"{escape(label)}</text></g>")
