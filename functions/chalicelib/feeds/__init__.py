"""Feeds: regulators' public recall publications, pulled on a schedule into intake."""
