"""The Excel side of the reports: the review workbook, entry templates, and the import pages."""
