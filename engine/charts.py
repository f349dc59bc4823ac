"""Small charts as PNG, drawn without a plotting library, for the generated documents:
bars (counts by category) and a cumulative line (tasks done over time). No text is drawn; the
document's table beside each chart carries the labels and figures."""

from __future__ import annotations

import struct
import zlib

Color = tuple[int, int, int]
PALETTE: tuple[Color, ...] = ((46, 125, 50), (249, 168, 37), (30, 136, 229), (198, 40, 40), (120, 120, 120),
                              (171, 71, 188))
WHITE, AXIS = (255, 255, 255), (60, 60, 60)


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


def bar_chart(values: list[int], width: int = 480, height: int = 200) -> bytes:
    canvas = Canvas(width, height)
    top = max(values) if values and max(values) > 0 else 1
    slot = (width - 20) // max(len(values), 1)
    for i, value in enumerate(values):
        bar = (height - 20) * value // top
        x = 10 + i * slot
        canvas.rect(x + slot // 6, height - 10 - bar, x + slot - slot // 6, height - 10, PALETTE[i % len(PALETTE)])
    canvas.line(8, height - 10, width - 8, height - 10, AXIS, 1)
    return canvas.png()


def line_chart(values: list[int], width: int = 480, height: int = 200) -> bytes:
    canvas = Canvas(width, height)
    top = max(values) if values and max(values) > 0 else 1
    points = [(10 + (width - 20) * i // max(len(values) - 1, 1), height - 10 - (height - 20) * v // top)
              for i, v in enumerate(values)]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        canvas.line(x0, y0, x1, y1, PALETTE[2], 3)
    canvas.line(8, height - 10, width - 8, height - 10, AXIS, 1)
    canvas.line(10, 8, 10, height - 10, AXIS, 1)
    return canvas.png()
