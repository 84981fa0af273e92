"""The web editor: `avtalsgen serve` (app.py), its views, forms and pages."""
