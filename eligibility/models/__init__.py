"""Eligibility's models: versioned benefit policies and the fund ledger (the catalogue, disease
classes and registrations join them in their own modules)."""

from .ledger import FundPayment
from .policy import PolicyRate, PolicyVersion, VisitType

__all__ = ["FundPayment", "PolicyRate", "PolicyVersion", "VisitType"]
