"""The benchmarks' app: LANET's `create_app` plus the baselines the benchmarks compare with.

gunicorn serves it as `bench.app:create_bench_app()` (bench/pages.py, bench/registration_storm.py);
the product never registers these routes.
"""

from __future__ import annotations

import os

from flask import Blueprint, Flask, jsonify, request

bp = Blueprint("bench", __name__, url_prefix="/bench")


@bp.get("/ping")
def ping():
    """The minimal endpoint bench/pages.py compares pages with: the same stack, no database."""
    return jsonify(ok=True)


@bp.post("/plain-insert")
def plain_insert():
    """One plain INSERT per request: the baseline of bench/registration_storm.py."""
    from lanet.extensions import db
    from lanet.network.models import Person
    from lanet.registration.people import normalize_email

    db.session.add(
        Person(
            first_name=request.form.get("first_name", "")[:120],
            last_name=request.form.get("last_name", "")[:120],
            email=normalize_email(request.form.get("email", ""))[:254] or None,
            language="es",
        )
    )
    db.session.commit()
    return "ok\n", 201


def create_bench_app() -> Flask:
    from lanet import create_app
    from lanet.extensions import csrf

    app = create_app()
    app.register_blueprint(bp)
    switch = os.environ.get("LANET_BENCH_SWITCH_INTERVAL")
    if switch:  # an experiment's knob (docs/performance.md): how long a thread keeps the GIL
        import sys

        sys.setswitchinterval(float(switch))
    folder = os.environ.get("LANET_BENCH_PROFILE")
    if folder:
        from bench.profiling import install

        install(app, folder)
    # The baselines measure the stack and the database round trip, not the form machinery.
    csrf.exempt(bp)
    return app
