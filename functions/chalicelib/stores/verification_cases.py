"""Data access for verification cases: ``VERIFICATION#v000001#<platform>`` items of a
notice (the layout is ``hand_off_cases.py``'s)."""

from __future__ import annotations

from chalicelib.stores.hand_off_cases import HandOffCaseStore
from chalicelib.verification.model import VerificationCase


class VerificationCaseStore(HandOffCaseStore[VerificationCase]):
    def __init__(self, table_name: str) -> None:
        super().__init__(table_name, "VERIFICATION#", VerificationCase)
