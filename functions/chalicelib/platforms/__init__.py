"""Platforms: the marketplaces the exchange sends notices to."""
