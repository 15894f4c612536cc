"""Confidence-based post-processing with a lexicon, as the reference pipeline does it."""
