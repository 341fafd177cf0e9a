"""api-version rule tests: removed versions, removed fields and deprecated fields, with their fixes."""
