"""Every write to enrollment's data goes through a function in this package."""
