"""Tests of the interval rules, one file per rule."""
