"""Find the products of active notices in marketplace catalogues.

Pure Python, no AWS: the audit builds a ``NoticeIndex`` once per notice change, stores
its ``dumps()`` and runs a ``Matcher`` over each catalogue part. Identifiers come from
``chalicelib.identifiers.products``; rules are in ``matcher``.
"""

from chalicelib.matching.index import NoticeIndex
from chalicelib.matching.matcher import Matcher
from chalicelib.matching.model import CatalogueListing, Match, MatchTier
from chalicelib.matching.thresholds import Thresholds

__all__ = ["CatalogueListing", "Match", "MatchTier", "Matcher", "NoticeIndex", "Thresholds"]
