"""Tests of the secrets rules, one file per rule."""
