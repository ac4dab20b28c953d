"""Eligibility's reads for pages, the API and other apps (settlement reads policies and the ledger here)."""
