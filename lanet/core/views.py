"""Home, health and language pages."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, session, url_for

from lanet.core import health

bp = Blueprint("core", __name__)


@bp.get("/")
def home():
    from lanet.events.views import event_list

    return event_list()


@bp.get("/healthz")
def healthz():
    report = health.report()
    return jsonify(report), 200 if report["status"] == "ok" else 503


@bp.post("/language")
def set_language():
    language = request.form.get("language", "")
    if language in ("es", "pt", "en"):
        session["lang"] = language
    target = request.form.get("next") or url_for("core.home")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("core.home")
    return redirect(target)
