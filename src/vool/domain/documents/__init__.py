"""Bill documents: the supplier's configured details, the invoice's data for documents
(one JSON for the PDF, the portal and the API) and the rendered PDFs."""

from pathlib import Path

TEMPLATES_DIR = Path(__file__).parent / "typst"
INVOICE_TEMPLATE = "invoice.typ"
