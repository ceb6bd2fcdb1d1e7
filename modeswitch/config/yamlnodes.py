"""A thin reader over PyYAML's node tree so every value keeps its file:line:column.

Validation errors must point at the exact spot in the user's file; plain yaml.safe_load
throws positions away, so config.py reads through these helpers instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml

from modeswitch.errors import ConfigError
from modeswitch.suggest import suggest

_BOOL_TRUE = {"true", "yes", "on"}
_BOOL_FALSE = {"false", "no", "off"}


class Node:
    """One YAML node plus the file it came from."""

    def __init__(self, node: yaml.Node, path: str) -> None:
        self.node = node
        self.path = path

    def error(self, message: str, hint: str | None = None) -> ConfigError:
        mark = self.node.start_mark
        return ConfigError(self.path, mark.line + 1, mark.column + 1, one_line(message),
                           one_line(hint) if hint is not None else None)

    @property
    def is_null(self) -> bool:
        return isinstance(self.node, yaml.ScalarNode) and self.node.tag.endswith(":null")

    def scalar(self) -> str:
        if not isinstance(self.node, yaml.ScalarNode) or self.is_null:
            raise self.error(f"expected a value, got {self.kind_name()}")
        return str(self.node.value)

    def kind_name(self) -> str:
        if isinstance(self.node, yaml.MappingNode):
            return "a mapping"
        if isinstance(self.node, yaml.SequenceNode):
            return "a list"
        if self.is_null:
            return "nothing (null)"
        return f"'{self.node.value}'"

    def string(self) -> str:
        value = self.scalar()
        if not value:
            raise self.error("expected a non-empty string")
        return value

    def boolean(self) -> bool:
        value = self.scalar().lower()
        if value in _BOOL_TRUE:
            return True
        if value in _BOOL_FALSE:
            return False
        raise self.error(f"expected true or false, got '{self.scalar()}'")

    def number(self, minimum: float | None = None, maximum: float | None = None) -> float:
        text = self.scalar()
        try:
            value = float(text)
        except ValueError:
            raise self.error(f"expected a number, got '{text}'") from None
        if value != value or (minimum is not None and value < minimum):
            raise self.error(f"{text} is too small", f"use at least {minimum}")
        if maximum is not None and value > maximum:
            raise self.error(f"{text} is too large", f"use at most {maximum}")
        return value

    def integer(self, minimum: int = 0, maximum: int | None = None) -> int:
        text = self.scalar()
        try:
            value = int(text, 0)
        except ValueError:
            raise self.error(f"expected a whole number, got '{text}'") from None
        if value < minimum or (maximum is not None and value > maximum):
            upper = f"..{maximum:#x}" if maximum is not None else ""
            raise self.error(f"{text} is out of range", f"use {minimum}{upper}")
        return value

    def items(self) -> Iterator[Node]:
        if not isinstance(self.node, yaml.SequenceNode):
            raise self.error(f"expected a list, got {self.kind_name()}")
        for child in self.node.value:
            yield Node(child, self.path)

    def argv(self) -> tuple[str, ...]:
        """A command as a list of strings: never a shell line, so no quoting surprises."""
        if isinstance(self.node, yaml.ScalarNode) and not self.is_null:
            raise self.error(
                "a command must be a list of arguments, not a string",
                f"write it as [{', '.join(repr(p) for p in self.scalar().split())}]",
            )
        args = tuple(item.string() for item in self.items())
        if not args:
            raise self.error("a command needs at least the program name")
        return args

    def mapping(self, allowed: set[str]) -> dict[str, Node]:
        """The mapping's keys → value nodes; unknown or duplicate keys are errors."""
        if not isinstance(self.node, yaml.MappingNode):
            raise self.error(f"expected a mapping, got {self.kind_name()}")
        result: dict[str, Node] = {}
        for key_node, value_node in self.node.value:
            key = Node(key_node, self.path).scalar()
            if key in result:
                raise Node(key_node, self.path).error(f"duplicate key '{key}'")
            if key not in allowed:
                raise Node(key_node, self.path).error(
                    f"unknown key '{key}'", suggest(key, allowed)
                )
            result[key] = Node(value_node, self.path)
        return result


def one_line(text: str) -> str:
    """Messages quote the user's values; a newline in one must not split the error line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


_NESTING_SHOWN = 50  # deeper than any modeswitch file; PyYAML gives up (recursion) far below that


def load_document(text: str, path: str) -> Node | None:
    """Parse one YAML document; a syntax error becomes a ConfigError with its position."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(
            path, line, column, f"YAML syntax error: {problem}", "check indentation and quoting"
        ) from None
    except yaml.reader.ReaderError as exc:  # a NUL or another control character
        line, column = _position(text, exc.position)
        raise ConfigError(path, line, column, f"character {_unicode_name(exc.character)} is not allowed in YAML",
                          "delete it, or write it as an escape inside double quotes") from None
    except yaml.YAMLError as exc:  # e.g. more than one document in the stream
        raise ConfigError(path, None, None, f"YAML error: {exc}".splitlines()[0]) from None
    except RecursionError:  # PyYAML's composer recurses once per nesting level
        line, column = _too_deep(text)
        raise ConfigError(path, line, column, f"YAML nested more than {_NESTING_SHOWN} levels deep",
                          "no modeswitch file nests this far; look for unclosed [ or {") from None
    return Node(node, path) if node is not None else None


def read_document(path: Path) -> Node | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(str(path), None, None, "file not found") from None
    except OSError as exc:
        raise ConfigError(str(path), None, None, f"cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        column = len(raw[line_start:exc.start].decode("utf-8", errors="replace")) + 1
        raise ConfigError(str(path), line, column, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                          "save the file as UTF-8") from None
    return load_document(text, str(path))


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character index."""
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def _unicode_name(code: int) -> str:
    names = {0: "NUL", 0x1B: "ESC", 0x7F: "DEL"}
    return f"U+{code:04X}" + (f" ({names[code]})" if code in names else "")


def _too_deep(text: str) -> tuple[int | None, int | None]:
    """Where nesting first goes past _NESTING_SHOWN: the event stream needs no recursion."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                mark = event.start_mark
                if depth > _NESTING_SHOWN and mark is not None:
                    return mark.line + 1, mark.column + 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass
    return None, None
