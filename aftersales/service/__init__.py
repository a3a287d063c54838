"""Service layer: one transaction per operation, idempotent under retry, safe under concurrency."""
