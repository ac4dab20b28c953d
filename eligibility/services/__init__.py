"""Eligibility's writes: every change goes through a function here, with an actor and an audit entry."""
