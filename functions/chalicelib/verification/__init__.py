"""Compliance verification (issue 12): takes over a dispatch at the hand-off."""
