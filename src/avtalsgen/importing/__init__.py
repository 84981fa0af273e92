"""Bringing in what municipalities already have: Word documents (word.py) and
spreadsheets (sheets.py, measures.py) become configs that validate and render."""
