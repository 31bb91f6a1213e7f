"""Files of affected parties through the API: a platform announces one and gets a
presigned URL to PUT it to, then reads what became of each row. The file itself is
taken by the upload function (``notification.uploads``), through the batches' path."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.api.calls import ApiCall, Reply
from chalicelib.api.platform_api import open_dispatch
from chalicelib.api.problems import conflict, not_found
from chalicelib.api.services import ApiServices
from chalicelib.api.upload_models import (
    AffectedPartiesUpload,
    AffectedPartiesUploadRequest,
    AffectedPartiesUploadView,
    FileError,
    UploadCounts,
)
from chalicelib.notification.batches import NotifiesItself, notification_policy, refuse_contacts
from chalicelib.notification.upload_model import Upload, UploadStatus, new_upload_id

# How long the upload URL stays valid: an hour to start the PUT (a URL signed by the
# API's role cannot outlive the role's session credentials anyway).
UPLOAD_URL_SECONDS = 3600


def status_path(upload: Upload) -> str:
    return f"/v1/notices/{upload.notice_id}/affected-parties/uploads/{upload.upload_id}"


def create_upload(call: ApiCall, services: ApiServices) -> Reply:
    request = call.body_as(AffectedPartiesUploadRequest)
    dispatch = open_dispatch(call, services, request.version)
    notification = services.notification
    try:
        refuse_contacts(notification_policy(dispatch, notification))
    except NotifiesItself as exc:
        raise conflict("notifies-itself", "You notify sellers and buyers", str(exc)) from exc
    upload = Upload(
        upload_id=new_upload_id(call.now),
        notice_id=dispatch.ref.notice_id,
        platform_id=dispatch.ref.platform_id,
        version=dispatch.ref.version,
        format=request.format,
        gzip=request.gzip,
        final=request.final,
        created_at=call.now,
    )
    notification.recipients.create_upload(upload)
    answer = AffectedPartiesUpload(
        upload_id=upload.upload_id,
        notice_id=upload.notice_id,
        version=upload.version,
        status=upload.status,
        upload_url=notification.uploads.presigned_put(upload, UPLOAD_URL_SECONDS),
        expires_at=call.now + timedelta(seconds=UPLOAD_URL_SECONDS),
        status_path=status_path(upload),
    )
    return Reply(answer, status=201, location=status_path(upload))


def get_upload(call: ApiCall, services: ApiServices) -> Reply:
    """The caller's own upload only: another platform's is simply not found."""
    notification = services.notification
    upload = notification.recipients.get_upload(call.notice, call.principal.id, call.upload)
    if upload is None:
        raise not_found("such upload")
    finished = upload.status in {UploadStatus.COMPLETED, UploadStatus.FAILED}
    result = notification.uploads.result(upload) if finished else None
    counts = (
        UploadCounts.model_validate(result.counts)
        if result and upload.status is UploadStatus.COMPLETED
        else None
    )
    error = (
        FileError(code=result.error_code, detail=result.error)
        if result and result.error and result.error_code
        else None
    )
    view = AffectedPartiesUploadView(
        upload_id=upload.upload_id,
        notice_id=upload.notice_id,
        version=upload.version,
        format=upload.format,
        gzip=upload.gzip,
        final=upload.final,
        status=upload.status,
        created_at=upload.created_at,
        finished_at=upload.finished_at,
        counts=counts,
        errors=result.errors if result else [],
        errors_total=result.errors_total if result else 0,
        error=error,
    )
    return Reply(view)
