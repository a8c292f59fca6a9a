"""Vool: customer information and billing for electricity retailers."""

__version__ = "0.1.0"
