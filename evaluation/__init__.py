"""Scoring engines on donated benchmark sets: metrics, intervals, paired verdicts, reports."""
