"""Self-contained HTML pages: inline CSS and scripts, no network, no external files.

Figures are either interactive Bokeh figures (``<div class="fig" data-kind="bokeh">``, see
:mod:`ranks.report.figures`; BokehJS is inlined once per page when a page has one) or
static PNG images (``<img class="fig">``, base64). Each figure gets ``data-rendered="yes"``
once the browser has drawn it with a non-zero width (tests read this from a headless
browser's DOM), ``"no"`` otherwise.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ranks.io.outdir import HTML_TAG, write_file_atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#222;
background:#fafafa;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:1.2em 1.5em 3em}
header{background:#263238;color:#eceff1;padding:1.2em 1.5em}
header h1{margin:0 0 .3em;font-size:1.5em}
header .meta{font-size:.9em;opacity:.9}
section{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:.8em 1.2em;
margin:1.2em 0}
h2{font-size:1.2em;margin:.2em 0 .5em;border-bottom:1px solid #eee;padding-bottom:.2em}
h3{font-size:1em;margin:.8em 0 .3em}
img.fig{max-width:100%;height:auto;display:block;margin:.4em 0}
div.fig{margin:.4em 0;overflow-x:auto}
.nodata{color:#795548;background:#fff8e1;border-left:4px solid #ffb300;padding:.4em .8em}
.note{font-size:.9em;color:#555}
.ethics{font-size:.85em;background:#e8f5e9;border-left:4px solid #43a047;padding:.4em .8em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#1b5e20;font-weight:bold}.fail{color:#b71c1c;font-weight:bold}
.nd{color:#795548;font-weight:bold}
nav a{margin-right:.8em;font-size:.9em}
"""

#: Marks each figure rendered (decoded, non-zero width) or not, after the page loads.
RENDER_SCRIPT = """
<script>
function ranksMark(){document.querySelectorAll('img.fig').forEach(function(im){
 im.setAttribute('data-rendered',(im.complete&&im.naturalWidth>0)?'yes':'no');});
 document.body.setAttribute('data-figures',document.querySelectorAll('.fig').length);}
window.addEventListener('load',ranksMark);
</script>
"""


def esc(s: Any) -> str:
    """HTML-escape a value."""
    return html.escape(str(s), quote=True)


def fig_png(fig: Figure, dpi: int = 90, tight: bool = False) -> str:
    """Render a matplotlib figure to a base64 PNG string and close it (``tight``: crop to
    the drawn artists, e.g. legends outside the axes; costs one more layout pass)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def img(b64: str, alt: str, fig_id: str) -> str:
    """An inline figure."""
    return (f'<img class="fig" id="{esc(fig_id)}" alt="{esc(alt)}" '
            f'src="data:image/png;base64,{b64}">')


def nodata(msg: str) -> str:
    """A plain 'no data' notice for a section without data."""
    return f'<p class="nodata">{esc(msg)}</p>'


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], num_cols: Sequence[int] = (),
          classes: Sequence[str | None] | None = None) -> str:
    """An HTML table; ``num_cols`` are right-aligned, ``classes`` per row (optional) set a
    class on the last cell (pass/fail marks)."""
    out = ["<table><thead><tr>", *(f"<th>{esc(h)}</th>" for h in header), "</tr></thead><tbody>"]
    for i, r in enumerate(rows):
        cells = []
        for j, c in enumerate(r):
            cls = ' class="num"' if j in num_cols else ""
            if classes is not None and j == len(r) - 1 and classes[i]:
                cls = f' class="{classes[i]}"'
            cells.append(f"<td{cls}>{esc(c)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def page(title: str, header_html: str, body: str) -> str:
    """A whole HTML document (BokehJS inlined when ``body`` has an interactive figure)."""
    scripts = ""
    if 'data-kind="bokeh"' in body:
        from ranks.report.figures import EMBED_JS, bokeh_js

        scripts = bokeh_js() + EMBED_JS
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"{HTML_TAG}<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{CSS}</style>{scripts}</head><body>"
            f"<header>{header_html}</header><main>{body}</main>{RENDER_SCRIPT}</body></html>")


def write_atomic(text: str, out: Path, replace_any: bool = False) -> Path:
    """Write ``text`` to a temporary file beside ``out`` and rename it over ``out``. An
    existing file is replaced only when it is an HTML page Ranks wrote, or with
    ``replace_any`` (the default report path inside a run directory); anything else is
    refused, naming it (see :func:`ranks.io.outdir.write_file_atomic`)."""
    return write_file_atomic(out, text, replace=(lambda _p: True) if replace_any else None)
