"""Files citizens attached to a report, served to logged-in staff from the record they belong to.

Reached only through its record (`/records/{id}/attachments/{n}`): the same login, the same 404 for
a record that does not exist or lies outside the user's units, and a file of another record is a 404 too. Every view is audited,
since a photo can show a person. Photos open in the browser, PDFs download (a PDF viewer on our own
origin is more than staff need); nothing is cached by the browser or a proxy.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from feedback import attachments
from feedback.attachment_files import stored_path
from feedback.web.forms import path_id
from feedback.web.site import Site


def routes(site: Site) -> list[Route]:
    async def download(request: Request) -> Response:
        rid, aid = path_id(request.path_params["record_id"]), path_id(request.path_params["attachment_id"])
        directory = getattr(site.config, "attachment_dir", None)
        with site.sessions() as db, db.begin():
            user = site.user(request, db)
            record = site.record(db, user, rid)  # outside the user's units: 404, as for the record page
            row = attachments.open_for_staff(db, record, aid, user.username)  # audited there
            if row is None:
                raise HTTPException(404, "không có tệp này")
            path = stored_path(directory, row.stored_name) if directory is not None else None
            if path is None:  # raised inside the transaction: the audit row of a file not shown is not kept
                raise HTTPException(404, "tệp không còn trong thư mục lưu trữ")
            mime = row.mime or "application/octet-stream"
        inline = mime.startswith("image/")
        return FileResponse(path, media_type=mime, filename=f"{record.reference}-{aid}{path.suffix}",
                            content_disposition_type="inline" if inline else "attachment",
                            headers={"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'"})

    return [Route("/records/{record_id:int}/attachments/{attachment_id:int}", download, methods=["GET"])]
