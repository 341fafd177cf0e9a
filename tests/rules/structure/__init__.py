"""Tests of the structure rules, one file per rule (checks/rules/structure)."""
