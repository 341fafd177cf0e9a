"""Tests of the dependency rules, one file per rule."""
