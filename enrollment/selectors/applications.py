"""Reads of registration applications."""

__all__: list[str] = []
