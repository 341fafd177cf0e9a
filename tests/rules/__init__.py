"""Rule tests: one file per rule, in a folder per group, mirroring checks/rules."""
