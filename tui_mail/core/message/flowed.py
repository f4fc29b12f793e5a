"""Undo format=flowed (RFC 3676): soft line breaks joined, quote depth kept."""

from __future__ import annotations


def unflow(text: str, *, delsp: bool) -> str:
    """Join soft line breaks; quoted lines keep their quote depth."""
    out: list[str] = []
    paragraph: list[str] = []
    paragraph_depth = -1
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):  # space-stuffing, or the space after the quote marks
            content = content[1:]
        if paragraph and depth != paragraph_depth:
            out.append(_quoted("".join(paragraph), paragraph_depth))
            paragraph = []
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        paragraph.append(content)
        paragraph_depth = depth
        if not flowed:
            out.append(_quoted("".join(paragraph), depth))
            paragraph = []
    if paragraph:
        out.append(_quoted("".join(paragraph), paragraph_depth))
    return "\n".join(out)


def _quoted(text: str, depth: int) -> str:
    return f"{'>' * depth} {text}" if depth else text
