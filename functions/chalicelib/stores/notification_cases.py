"""Data access for notification cases: ``NOTIFICATION#v000001#<platform>`` items of a
notice (the layout is ``hand_off_cases.py``'s)."""

from __future__ import annotations

from chalicelib.notification.model import NotificationCase
from chalicelib.stores.hand_off_cases import HandOffCaseStore


class NotificationCaseStore(HandOffCaseStore[NotificationCase]):
    def __init__(self, table_name: str) -> None:
        super().__init__(table_name, "NOTIFICATION#", NotificationCase)
