"""One module per AWS service; each declares its resource types with @resource (cleaner.registry)."""
