"""Synthetic word-image generator: corpus x fonts x distortions, deterministic from a seed."""
