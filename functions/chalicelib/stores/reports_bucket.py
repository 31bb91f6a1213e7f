"""Data access for the reports bucket: each platform's compliance report for a half
year, published by the scheduled workflow at ``reports/publication.py``'s keys
(``compliance-reports/<yyyy>-H<1|2>/<platform>/report.{json,csv,html}``), each replaced
by the next publication."""

from __future__ import annotations

from chalicelib.stores import aws_clients


class ReportsBucket:
    def __init__(self, bucket: str) -> None:
        self._bucket = bucket
        self._s3 = aws_clients.s3()

    def put(self, key: str, body: str, content_type: str) -> None:
        self._s3.put_object(
            Bucket=self._bucket, Key=key, Body=body.encode(), ContentType=content_type
        )
