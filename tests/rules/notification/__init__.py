"""Tests of the notification rules: one file per rule."""
