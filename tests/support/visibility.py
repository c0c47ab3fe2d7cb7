"""Figures in each workflow state, distinct enough that a page showing one to the wrong reader is caught."""

DRAFT_VALUE = "987654321"  # a draft figure that must never reach an outsider
SUBMITTED_VALUE = "876543219"
APPROVED_VALUE = "279000"
