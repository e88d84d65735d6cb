"""Closing a widget for good: it, its children, and their layouts and styles, each a model."""

from __future__ import annotations


def tree(widget) -> list:
    """A widget, its children, and their layouts and styles: each a model in the kernel."""
    found = [widget]
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if part is not None and hasattr(part, "close"):
            found.append(part)
    for child in getattr(widget, "children", ()):
        found.extend(tree(child))
    return found


def close_tree(widget) -> None:
    """Close a widget and every model under it (a rerun of its cell replaces it)."""
    for each in tree(widget):
        each.close()
