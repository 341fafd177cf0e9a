"""tenancy rule tests: one file per rule, on the platform repository of _platform."""
