"""YAML loading that remembers where every value came from, so errors can say `file:line`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class Located(dict[str, Any]):
    """A mapping that knows its file and the line of each key (1-based)."""

    source: str
    line: int
    key_lines: dict[str, int]

    def where(self, key: str | None = None) -> str:
        line = self.key_lines.get(key, self.line) if key else self.line
        return f"{self.source}:{line}"


class LocatedList(list[Any]):
    source: str
    line: int


def _build(node: yaml.Node, source: str, scalars: yaml.SafeLoader) -> Any:
    if isinstance(node, yaml.MappingNode):
        result = Located()
        result.source, result.line, result.key_lines = source, node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = _build(key_node, source, scalars)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            result[key] = _build(value_node, source, scalars)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        items = LocatedList(_build(item, source, scalars) for item in node.value)
        items.source, items.line = source, node.start_mark.line + 1
        return items
    return scalars.construct_object(node)  # scalars follow the safe loader's typing rules


def load_located(path: Path | str, text: str | None = None) -> Any:
    """Parse a YAML file into Located mappings; syntax errors become `file:line: message`."""
    from phancap.engine.errors import DefinitionError

    source = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DefinitionError([f"{source}:1: cannot read file: {exc}"]) from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise DefinitionError([f"{source}:{line}: invalid YAML: {exc.problem or exc}"]) from exc
    if node is None:
        raise DefinitionError([f"{source}:1: the file is empty"])
    try:
        return _build(node, source, yaml.SafeLoader(""))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else 1
        raise DefinitionError([f"{source}:{line}: invalid YAML: {exc.problem}"]) from exc
