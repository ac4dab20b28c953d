"""The nightly comparison with the agency's enrollment extract (spec/agency-extract.md).

extract.py streams a file into a staging table with COPY; sql.py holds the set-based SQL that
validates the rows and computes the differences; engine.py runs a night (reconcile_file) and
load.py loads the office's own register from a file of the same format (load_register).
nightly.py lists the extracts waiting in the drop folder; fake.py writes a realistic extract with
planted differences; report.py renders the nightly report. What writes (the night, the clerks'
resolutions, the escalation) is in enrollment.services.reconciliation.
"""
