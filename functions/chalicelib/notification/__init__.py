"""Seller and buyer notification (issue 11): takes over a dispatch at the hand-off."""
