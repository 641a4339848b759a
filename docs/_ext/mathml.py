"""Math as MathML, written into the HTML at build time (no JavaScript, no network).

A Sphinx HTML math renderer (``html_math_renderer = "mathml"``): each ``:math:``
role and ``.. math::`` block is converted from LaTeX to MathML by latex2mathml
while the pages are written, so the pages show formulas offline and in any
browser with MathML Core (all current ones). A formula latex2mathml cannot
convert is a build warning (an error with ``-W``).
"""

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _mathml(latex, display, node):
    try:
        markup = convert(latex, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises its own exception types
        logger.warning(
            "cannot convert math %r to MathML: %s", latex, exc, location=node
        )
        return f"<code>{latex}</code>"
    if "<merror" in markup:
        logger.warning("cannot convert math %r to MathML", latex, location=node)
    return markup


def visit_math(self, node):
    self.body.append(
        self.starttag(node, "span", "", CLASS="math notranslate nohighlight")
        + _mathml(node.astext(), False, node)
        + "</span>"
    )
    raise nodes.SkipNode


def visit_displaymath(self, node):
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node.get("number"):
        self.body.append(f'<span class="eqno">({node["number"]})</span>')
    # like sphinx.ext.mathjax: blank lines separate equations
    latex = node.astext()
    parts = [latex] if node.get("nowrap") else latex.split("\n\n")
    for part in parts:
        if part.strip():
            self.body.append(_mathml(part.strip(), True, node))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_displaymath, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
