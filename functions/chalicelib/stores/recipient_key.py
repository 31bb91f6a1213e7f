"""The secret recipients are keyed by (an HMAC of their address), wrapped by the
notification table's own KMS key and kept in that table.

The first caller generates a data key and stores its encrypted form with a conditional
put; every caller (and every later process) decrypts the stored one, so all agree on
one key without it ever being written in clear. Only a caller that may decrypt with the
KMS key can compute a recipient's key from an address.
"""

from __future__ import annotations

import threading

from chalicelib.stores import aws_clients
from chalicelib.stores.dynamodb_items import to_attributes, written

_ITEM = {"PK": "KEY#recipient-hmac", "SK": "KEY"}


class RecipientKey:
    """Read (or first made) on first use and kept for the process."""

    def __init__(self, table_name: str, key_arn: str) -> None:
        self._table = table_name
        self._key_arn = key_arn
        self._secret: bytes | None = None
        self._lock = threading.Lock()

    def secret(self) -> bytes:
        with self._lock:
            if self._secret is None:
                self._secret = self._load()
            return self._secret

    def _load(self) -> bytes:
        db, kms = aws_clients.dynamodb(), aws_clients.kms()
        key = to_attributes(_ITEM)
        stored = db.get_item(TableName=self._table, Key=key, ConsistentRead=True)
        if "Item" not in stored:
            generated = kms.generate_data_key(KeyId=self._key_arn, KeySpec="AES_256")
            # A concurrent first caller may win: the stored key is the one, read below.
            written(
                db.put_item,
                TableName=self._table,
                Item=to_attributes({**_ITEM, "wrapped": generated["CiphertextBlob"]}),
                ConditionExpression="attribute_not_exists(PK)",
            )
            stored = db.get_item(TableName=self._table, Key=key, ConsistentRead=True)
        wrapped = stored["Item"]["wrapped"]["B"]
        plaintext: bytes = kms.decrypt(CiphertextBlob=wrapped, KeyId=self._key_arn)["Plaintext"]
        return plaintext
