"""Charts drawn on the server as SVG with pygal: the same markup in the console page and in the PDF.

pygal always writes a ``<script>`` (its configuration, for its optional tooltips) and hidden
tooltip groups with ``style=""`` attributes; both are taken out, so a chart runs no code and needs
nothing but its own ``<style>`` element. In the console that element carries the request's CSP
nonce (``style-src 'self' 'nonce-…'``), so the page allows it without ``'unsafe-inline'``.
Each chart names itself (``<title>``) and says where its figures are written out (``<desc>``,
the table next to it), for people who cannot see it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pygal
from lxml import etree
from pygal.style import Style

KINDS = {"line": pygal.Line, "bar": pygal.Bar, "hbar": pygal.HorizontalBar}

# The console's own fonts where the browser has them; DejaVu Sans (shipped with the PDFs) in print.
CHART_STYLE = Style(
    background="transparent", plot_background="#ffffff", foreground="#333333", foreground_strong="#111111",
    foreground_subtle="#767676", opacity=".85", opacity_hover="1", transition="0ms",
    font_family='"DejaVu Sans", "Segoe UI", system-ui, Roboto, "Helvetica Neue", Arial, sans-serif',
    label_font_size=12, major_label_font_size=12, value_font_size=12, legend_font_size=12, title_font_size=15,
    colors=("#417690", "#c77c02", "#2f8f5b", "#a33a3a", "#6b5ca5", "#3d8fb8", "#8a6d3b", "#555555"),
)


def chart_svg(kind: str, *, title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
              description: str = "The figures of this chart are in the table next to it.", nonce: str | None = None,
              chart_id: str = "chart", unit: str = "") -> str:
    """An SVG document (no XML declaration) drawing ``series`` over ``labels``; safe to inline."""
    chart = KINDS[kind](
        js=[], disable_xml_declaration=True, style=CHART_STYLE, width=720, height=300, show_legend=len(series) > 1,
        legend_at_bottom=False, legend_box_size=10, x_label_rotation=30 if len(labels) > 8 or sum(len(str(label)) for label in labels) > 70 else 0,
        show_minor_x_labels=len(labels) <= 16, x_labels_major_every=max(1, len(labels) // 8) if len(labels) > 16 else None,
        truncate_label=24, print_values=False, show_dots=len(labels) <= 31, dots_size=2.5, include_x_axis=True,
        no_data_text="No data in the range", margin=12, margin_right=36, spacing=8, tooltip_border_radius=0,
    )
    chart.title = title
    chart.x_labels = [str(label) for label in labels]
    if unit:
        chart.value_formatter = lambda value: f"{value:g} {unit}"
    for name, values in series:
        chart.add(name, list(values))
    return _cleaned(chart.render_tree(), title=title, description=description, nonce=nonce, chart_id=chart_id)


def _cleaned(root, *, title: str, description: str, nonce: str | None, chart_id: str) -> str:
    # pygal builds its tree with plain tag names (it writes xmlns as an attribute).
    for script in list(root.iter("script")):
        script.getparent().remove(script)
    for tooltip in root.xpath("//*[contains(concat(' ', @class, ' '), ' tooltip ')]"):
        tooltip.getparent().remove(tooltip)
    for comment in root.xpath("//comment()"):
        comment.getparent().remove(comment)
    for element in root.iter():
        element.attrib.pop("style", None)
        if element is not root:
            element.attrib.pop("id", None)  # pygal's ids serve its script; two charts on a page would repeat them
    for style in root.iter("style"):
        if nonce:
            style.set("nonce", nonce)
    # A name and a description that assistive technology reads out (pygal writes its own title first).
    for old in root.findall("title"):
        root.remove(old)
    title_node = etree.Element("title", id=f"{chart_id}-title")
    title_node.text = title
    desc_node = etree.Element("desc", id=f"{chart_id}-desc")
    desc_node.text = description
    root.insert(0, desc_node)
    root.insert(0, title_node)
    root.set("role", "img")
    root.set("aria-labelledby", f"{chart_id}-title {chart_id}-desc")
    root.set("class", "dashboard-chart pygal-chart")
    return etree.tostring(root, encoding="unicode")
