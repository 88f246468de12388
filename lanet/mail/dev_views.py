"""Development-only pages that show the mail written into the mail folder."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from lanet.mail import folder

bp = Blueprint("dev_mail", __name__, url_prefix="/dev/mail")


@bp.before_request
def _only_when_switched_on() -> None:
    # The mail folder holds password-reset and private links: never served by accident.
    if not current_app.config.get("DEV_PAGES"):
        abort(404)


def _folder() -> str:
    return current_app.config["MAIL_FOLDER"]


@bp.get("/")
def mail_list():
    return render_template("dev/mail_list.html", messages=folder.list_messages(_folder()))


@bp.get("/<name>")
def mail_detail(name: str):
    message = folder.read_message(_folder(), name)
    if message is None:
        abort(404)
    text_part = message.get_body(preferencelist=("plain",))
    attachments = [
        (part.get_filename() or "", part.get_content_type()) for part in message.iter_attachments()
    ]
    calendar_parts = [
        part.get_content_type() + "; method=" + str(part.get_param("method"))
        for part in message.walk()
        if part.get_content_type() == "text/calendar"
    ]
    return render_template(
        "dev/mail_detail.html",
        name=name,
        message=message,
        text=text_part.get_content() if text_part else "",
        has_html=message.get_body(preferencelist=("html",)) is not None,
        attachments=attachments,
        calendar_parts=calendar_parts,
    )


@bp.get("/<name>/html")
def mail_html(name: str):
    message = folder.read_message(_folder(), name)
    html_part = message.get_body(preferencelist=("html",)) if message else None
    if html_part is None:
        abort(404)
    response = current_app.response_class(html_part.get_content(), mimetype="text/html")
    # The email's own inline styles must apply; it is framed by the detail page only.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data: 'self'; "
        "frame-ancestors 'self'"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
