"""Data access for the affected-parties bucket: the files of sellers and buyers that
platforms upload (personal data: the notification's own KMS key, deleted after
``infra/notification.py``'s expiry), and the result of each.

- ``affected-parties/<platform>/<notice>/<upload-id>.<csv|jsonl>[.gz]``: the file, PUT
  through the presigned URL ``POST /v1/notices/{id}/affected-parties/uploads`` gives;
  its creation is the S3 event that has it processed;
- ``affected-parties-results/<platform>/<notice>/<upload-id>.json``: what became of it
  (counts and the refused rows; never a contact).
"""

from __future__ import annotations

import re
from typing import IO, cast

from botocore.exceptions import ClientError

from chalicelib.identifiers.participants import PLATFORM_ID_PATTERN
from chalicelib.notification.upload_model import UPLOAD_ID_PATTERN, Upload, UploadResult
from chalicelib.stores import aws_clients

UPLOAD_PREFIX = "affected-parties/"
RESULT_PREFIX = "affected-parties-results/"
_NOTICE_ID = r"ntc-[0-9a-f]{24}"
_UPLOAD_KEY = re.compile(
    re.escape(UPLOAD_PREFIX)
    + rf"(?P<platform>{PLATFORM_ID_PATTERN.strip('^$')})/(?P<notice>{_NOTICE_ID})/"
    + rf"(?P<upload>{UPLOAD_ID_PATTERN})\.(csv|jsonl)(\.gz)?"
)


def upload_key(upload: Upload) -> str:
    return f"{UPLOAD_PREFIX}{upload.platform_id}/{upload.notice_id}/{upload.file_name()}"


def result_key(upload: Upload) -> str:
    return f"{RESULT_PREFIX}{upload.platform_id}/{upload.notice_id}/{upload.upload_id}.json"


def parse_upload_key(key: str) -> tuple[str, str, str] | None:
    """(platform, notice, upload id) of an uploaded file's key; None for any other key."""
    matched = _UPLOAD_KEY.fullmatch(key)
    if matched is None:
        return None
    return matched.group("platform"), matched.group("notice"), matched.group("upload")


class AffectedPartiesBucket:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self._s3 = aws_clients.s3()

    def presigned_put(self, upload: Upload, expires_seconds: int) -> str:
        url: str = self._s3.generate_presigned_url(
            "put_object",
            Params={"Bucket": self.bucket, "Key": upload_key(upload)},
            ExpiresIn=expires_seconds,
        )
        return url

    def open_upload(self, upload: Upload) -> IO[bytes]:
        """The uploaded file as a stream: read as it arrives, never whole in memory."""
        body = self._s3.get_object(Bucket=self.bucket, Key=upload_key(upload))["Body"]
        return cast(IO[bytes], body)  # botocore's StreamingBody reads like a binary file

    def put_result(self, upload: Upload, result: UploadResult) -> None:
        self._s3.put_object(
            Bucket=self.bucket,
            Key=result_key(upload),
            Body=result.model_dump_json().encode("utf-8"),
            ContentType="application/json",
        )

    def result(self, upload: Upload) -> UploadResult | None:
        """The result of a finished upload; None before."""
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=result_key(upload))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise
        return UploadResult.model_validate_json(response["Body"].read())
