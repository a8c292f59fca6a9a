"""Documents for people: Typst compilation, EPC payment QR codes and a content-addressed store.

Pure: no Django and no domain imports; callers pass plain values (a JSON-ready dict, a
directory, a template path).
"""
