"""Eligibility's models: versioned benefit policies and the fund ledger, the catalogue and the
disease classes, registrations and the penalty register, and the coverage lookups log."""

from .catalogue import CatalogueItem, DiseaseClass
from .coverage import CoverageLookup
from .ledger import FundPayment
from .policy import PolicyRate, PolicyVersion, VisitType
from .registrations import Registration, RegistrationVersion

__all__ = ["CatalogueItem", "CoverageLookup", "DiseaseClass", "FundPayment", "PolicyRate", "PolicyVersion",
           "Registration", "RegistrationVersion", "VisitType"]
