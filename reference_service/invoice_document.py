"""The invoice as a file for the customer: a small self-contained HTML page (no PDF library is installed, and
a hand-written PDF serializer would be a second project). Pure; everything shown is escaped."""

from __future__ import annotations

import base64
from html import escape
from typing import Any, Dict, List

Json = Dict[str, Any]
CONTENT_TYPE = "text/html"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Invoice {number}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}
th,td{{border-bottom:1px solid #ccc;padding:.4em;text-align:left}}td.n,th.n{{text-align:right}}</style></head>
<body>
<h1>Invoice {number}</h1>
<p>Issued {issued_on} &middot; Order {order_number}<br>Billed to {billed_to}</p>
<table>
<tr><th>Item</th><th class="n">Quantity</th><th class="n">Price ({currency})</th></tr>
{rows}
<tr><th colspan="2">Total</th><th class="n">{amount}</th></tr>
</table>
</body>
</html>
"""
_ROW = '<tr><td>{name}</td><td class="n">{quantity}</td><td class="n">{price}</td></tr>'


def render_html(invoice: Json, lines: List[Json], billed_to: str) -> bytes:
    """``invoice``: number, order_number, amount, issued_on, currency; ``lines``: name, quantity, price."""
    rows = "\n".join(_ROW.format(**{k: escape(str(line[k])) for k in ("name", "quantity", "price")}) for line in lines)
    fields = {k: escape(str(invoice[k])) for k in ("number", "order_number", "amount", "issued_on", "currency")}
    return _PAGE.format(rows=rows, billed_to=escape(billed_to), **fields).encode("utf-8")


def invoice_file(invoice: Json, lines: List[Json], billed_to: str) -> Json:
    """The attachment as the contract carries it: filename, content type, base64 content."""
    return {
        "filename": f"{invoice['number']}.html",
        "content_type": CONTENT_TYPE,
        "content_base64": base64.b64encode(render_html(invoice, lines, billed_to)).decode("ascii"),
    }
