"""The reference-data files (spec/review-rules.md): read into a staging table with COPY, checked by
set-based SQL, then applied by eligibility's services in one statement per step."""
