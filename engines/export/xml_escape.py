"""XML escaping shared by the hOCR and ALTO writers."""

from xml.sax.saxutils import escape


def xml_attr(value: str) -> str:
    """Escape text for a double-quoted XML attribute."""
    return escape(value, {'"': "&quot;"})


def xml_text(value: str) -> str:
    """Escape text for XML element content."""
    return escape(value)
