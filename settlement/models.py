# Provider moved to core (core.models.Provider): every app needs it. Claims and the rest of
# settlement come with settlement's own issue.
