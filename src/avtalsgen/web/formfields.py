"""The names of a form's own controls: the CSRF token, the version of the file the form
was made from, and the button pressed.

Editing forms name every field by its path in the vocabulary (`version`,
`sections[0].heading`), so the form's own controls need names that path can never be:
a field path is made of identifiers, `.` and `[n]`, never a colon. (A municipality's
`version` field and the file's version once shared the name `version`, and a browser,
which sends fields in document order, saved the file's hash as the version number.)
"""

PREFIX = "form:"
CSRF = f"{PREFIX}csrf"
VERSION = f"{PREFIX}version"
ACTION = f"{PREFIX}action"
