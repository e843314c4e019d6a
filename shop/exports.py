"""What every spreadsheet export of the admin shares."""

# Spreadsheet programs run a cell starting with one of these as a formula (OWASP: CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class FormulaSafeExportMixin:
    """For a view with Wagtail's SpreadsheetExportMixin: text in a CSV export opens as text,
    never as a formula. (Wagtail already writes such text to XLSX as a string.)"""

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        is_text = export_format == self.FORMAT_CSV and isinstance(value, str)
        if is_text and value.startswith(FORMULA_TRIGGERS):
            # OWASP's advice: a leading apostrophe makes the cell plain text.
            return "'" + value
        return value
