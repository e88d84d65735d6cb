"""Projector mode: larger figures, marks and widgets for the rest of the session, one call."""

from __future__ import annotations

import matplotlib

from . import plotting

# The matplotlib settings projector mode changes, and how much more than the figure's own scale
# its text grows: the figures' text must stay readable from the back of the room.
FONT_KEYS = ("font.size",)
FONT_BOOST = 1.2
MAX_SCALE = 3.0  # beyond this, a 9-inch figure no longer fits a 1280-pixel screen at all

# Every <style> it adds carries this attribute: each call removes the earlier ones first.
STYLE_ID = "lessons-projector"

# Scoped to notebooks (`.jp-Notebook`): menus, file browser and dialogs keep their sizes. Widgets
# read their sizes from CSS variables, so setting those on the notebook reaches every widget in
# it. Output text is sized from JupyterLab's own variables, so it grows on top of Presentation
# Mode (which enlarges those variables) rather than fighting it.
CSS = """
.jp-Notebook {{
  --jp-widgets-font-size: calc(var(--jp-ui-font-size1) * {s});
  --jp-widgets-inline-height: calc(28px * {s});
  --jp-widgets-inline-label-width: calc(80px * {s});
  --jp-widgets-inline-width: calc(300px * {s});
  --jp-widgets-progress-thickness: calc(20px * {s});
  --jp-widgets-slider-handle-size: calc(16px * {s});
}}
.jp-Notebook .jp-OutputArea-output pre {{
  font-size: calc(var(--jp-code-font-size) * {s});
}}
.jp-Notebook .jp-OutputArea-output.jp-RenderedHTMLCommon,
.jp-Notebook .jp-OutputArea-output.jp-RenderedHTMLCommon table {{
  font-size: calc(var(--jp-content-font-size1) * {s});
}}
"""

# The <style> in the output works at once; the script (run by JupyterLab for a trusted output,
# i.e. one made in this session) removes every earlier one, the cell's own included, and puts
# one copy in the page's <head>, where it stays when the cell's output is cleared or scrolled
# away; turned off, it only removes.
SCRIPT = """<script>
(() => {{
  document.querySelectorAll("style[data-{id}]").forEach(old => old.remove());
  const css = {css};
  if (css) {{
    const style = document.createElement("style");
    style.dataset.{dataset} = "";
    style.textContent = css;
    document.head.appendChild(style);
  }}
}})();
</script>"""

_saved_fonts: dict[str, object] = {}  # the learner's own values, while projector mode is on


def projector(on: bool = True, scale: float = 1.5):
    """Larger figures, J/R marks and widgets in every notebook of this page, until turned off.

    `projector()` turns it on (1.5 times the size); `projector(False)` puts everything back.
    Calling it again changes the scale; it never compounds. Figures drawn after the call grow.
    """
    import json

    from IPython.display import HTML

    if isinstance(scale, bool) or not isinstance(scale, (int, float)):
        raise TypeError(f"scale must be a number like 1.5, not {scale!r}")
    if not 1.0 <= scale <= MAX_SCALE:
        raise ValueError(f"scale={scale} is out of range: use 1.0 to {MAX_SCALE:g} (1.5 is usual)")
    if on:
        if not _saved_fonts:  # the first call keeps the learner's values; later ones keep them
            _saved_fonts.update({key: matplotlib.rcParams[key] for key in FONT_KEYS})
        for key in FONT_KEYS:
            matplotlib.rcParams[key] = _saved_fonts[key] * FONT_BOOST
        plotting.PNG_SCALE = float(scale)
        css = CSS.format(s=scale)
        note = (
            f"<b>Projector mode is on</b> (scale {scale:g}): marks and widgets are larger now, "
            "figures from their next drawing on. <code>lessons.projector(False)</code> turns "
            "it off."
        )
    else:
        matplotlib.rcParams.update(_saved_fonts)
        _saved_fonts.clear()
        plotting.PNG_SCALE = 1.0
        css = ""
        note = "Projector mode is off: figures, marks and widgets are back to their usual size."
    style = f"<style data-{STYLE_ID}>{css}</style>" if css else ""
    script = SCRIPT.format(id=STYLE_ID, dataset="lessonsProjector", css=json.dumps(css))
    return HTML(f'{style}{script}<div class="lessons-projector-note">{note}</div>')
