"""Tests of the source rules: one file per rule, mirroring checks/rules/source."""
