"""Small charts as PNG, drawn without a plotting library (none is a dependency, and the network is
closed), for the generated documents: bars (counts by category) and a cumulative line (tasks done over
time), each with its axes, a scale of numbered ticks, and its values drawn on it. Only digits and a few
signs are drawn (a 3×5 pixel font); the document writes the chart's title and axis names beside it, in
Vietnamese, and numbers the bars as its legend does."""

from __future__ import annotations

import struct
import zlib

Color = tuple[int, int, int]
PALETTE: tuple[Color, ...] = ((46, 125, 50), (249, 168, 37), (30, 136, 229), (198, 40, 40), (120, 120, 120),
                              (171, 71, 188))
WHITE, AXIS, GRID = (255, 255, 255), (40, 40, 40), (225, 225, 225)


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = [bytearray(bytes(WHITE) * width) for _ in range(height)]

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        for y in range(max(0, y0), min(self.height, y1)):
            row = self.pixels[y]
            for x in range(max(0, x0), min(self.width, x1)):
                row[3 * x:3 * x + 3] = bytes(color)

    def line(self, x0: int, y0: int, x1: int, y1: int, color: Color, thick: int = 2) -> None:
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for i in range(steps + 1):
            x, y = x0 + (x1 - x0) * i // steps, y0 + (y1 - y0) * i // steps
            self.rect(x - thick // 2, y - thick // 2, x + thick - thick // 2, y + thick - thick // 2, color)

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(row) for row in self.pixels)

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


# A 3×5 pixel font for the figures a chart writes: digits, "/", "%", ".".
GLYPHS: dict[str, tuple[str, ...]] = {
    "0": ("111", "101", "101", "101", "111"), "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"), "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"), "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"), "7": ("111", "001", "010", "010", "010"),
    "8": ("111", "101", "111", "101", "111"), "9": ("111", "101", "111", "001", "111"),
    "/": ("001", "001", "010", "100", "100"), "%": ("101", "001", "010", "100", "101"),
    ".": ("000", "000", "000", "000", "010"),
}
SCALE = 3  # one font pixel = 3×3 image pixels: figures 15 px high
LEFT, BOTTOM, TOP, RIGHT = 56, 34, 26, 12  # room for the scale, the category numbers and the values


def text_width(text: str) -> int:
    return len(text) * 4 * SCALE - SCALE


def draw_text(canvas: Canvas, x: int, y: int, text: str, color: Color = AXIS) -> None:
    """Figures with their top-left corner at (x, y); characters without a glyph are skipped."""
    for char in text:
        for row, bits in enumerate(GLYPHS.get(char, ())):
            for col, bit in enumerate(bits):
                if bit == "1":
                    canvas.rect(x + col * SCALE, y + row * SCALE, x + (col + 1) * SCALE, y + (row + 1) * SCALE, color)
        x += 4 * SCALE


def nice_top(value: int) -> tuple[int, int]:
    """The scale's top and step: a round number of ticks (at most 5) covering `value`."""
    value = max(value, 1)
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 5:
            return step * -(-value // step), step
    step = 10 ** len(str(value)) // 10
    return step * -(-value // step), step


def _axes(canvas: Canvas, top: int, step: int) -> None:
    width, height = canvas.width, canvas.height
    base = height - BOTTOM
    canvas.line(LEFT, TOP - 6, LEFT, base, AXIS, 2)
    canvas.line(LEFT, base, width - RIGHT, base, AXIS, 2)
    for tick in range(0, top + 1, step):
        y = base - (base - TOP) * tick // top
        canvas.line(LEFT - 6, y, LEFT, y, AXIS, 2)
        if tick:
            canvas.line(LEFT + 1, y, width - RIGHT, y, GRID, 1)
        label = str(tick)
        draw_text(canvas, LEFT - 10 - text_width(label), y - 7, label)


def bar_chart(values: list[int], width: int = 640, height: int = 300) -> bytes:
    """Bars numbered 1, 2, … under the axis, each with its value on top."""
    canvas = Canvas(width, height)
    top, step = nice_top(max(values, default=0))
    _axes(canvas, top, step)
    base, slot = height - BOTTOM, (width - LEFT - RIGHT) // max(len(values), 1)
    for i, value in enumerate(values):
        bar = (base - TOP) * value // top
        x = LEFT + i * slot
        canvas.rect(x + slot // 5, base - bar, x + slot - slot // 5, base, PALETTE[i % len(PALETTE)])
        label, number = str(value), str(i + 1)
        draw_text(canvas, x + (slot - text_width(label)) // 2, base - bar - 20, label)
        draw_text(canvas, x + (slot - text_width(number)) // 2, base + 10, number)
    return canvas.png()


def line_chart(points: list[tuple[str, int]], width: int = 640, height: int = 300) -> bytes:
    """A line through (label, value) points, evenly spaced; each point's value above it, its label
    (a short date, "31/1") under the axis."""
    canvas = Canvas(width, height)
    values = [v for _, v in points]
    top, step = nice_top(max(values, default=0))
    _axes(canvas, top, step)
    base, span = height - BOTTOM, width - LEFT - RIGHT - 50
    xy = [(LEFT + 15 + span * i // max(len(points) - 1, 1), base - (base - TOP) * v // top) for i, v in enumerate(values)]
    for (x0, y0), (x1, y1) in zip(xy, xy[1:], strict=False):
        canvas.line(x0, y0, x1, y1, PALETTE[2], 3)
    for (x, y), (label, value) in zip(xy, points, strict=True):
        canvas.rect(x - 4, y - 4, x + 5, y + 5, PALETTE[2])
        draw_text(canvas, x - text_width(str(value)) // 2, y - 24, str(value))
        draw_text(canvas, x - text_width(label) // 2, base + 10, label)
    return canvas.png()
