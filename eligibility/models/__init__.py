"""Eligibility's models: the catalogue and the disease classes, registrations and the penalty
register, the coverage lookups log (and, from the calculation's side, policies and the fund ledger)."""

from .catalogue import CatalogueItem, DiseaseClass
from .coverage import CoverageLookup
from .registrations import Registration, RegistrationVersion

__all__ = ["CatalogueItem", "CoverageLookup", "DiseaseClass", "Registration", "RegistrationVersion"]
