"""E-invoices in the receivers' formats (Peppol BIS 3 UBL), from plain invoice data."""
