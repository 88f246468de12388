"""Health and language pages (the front page is the events list, lanet/events/views.py)."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, session

from lanet.core import health

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    report = health.report()
    return jsonify(report), 200 if report["status"] == "ok" else 503


@bp.post("/language")
def set_language():
    language = request.form.get("language", "")
    if language in ("es", "pt", "en"):
        session["lang"] = language
    # The front page (a feature's, e.g. the event list) when there is no safe page to return to.
    front = request.script_root + "/"
    target = request.form.get("next") or front
    if not target.startswith("/") or target.startswith("//"):
        target = front
    return redirect(target)
