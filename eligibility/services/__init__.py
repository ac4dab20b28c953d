"""Eligibility's writes: one module per area (catalogue and disease classes, registrations, the
coverage lookups log; policies and the fund ledger on the calculation's side)."""
