"""Issue 14, item 7: demo conveniences exist only when switched on explicitly."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select

from lanet import config
from lanet.accounts.models import User
from lanet.accounts.passwords import DEMO_PASSWORD, verify_password

ROOT = Path(__file__).resolve().parent.parent


def test_no_setting_means_no_dev_pages_even_without_a_mail_server(monkeypatch, tmp_path):
    monkeypatch.setenv("LANET_INSTANCE", str(tmp_path))
    for name in ("MAIL_SERVER", "LANET_DEV_PAGES"):
        monkeypatch.delenv(name, raising=False)
    assert config.load()["DEV_PAGES"] is False
    monkeypatch.setenv("DATABASE_URL", "postgresql://x@127.0.0.1/x")
    assert config.load()["DEV_PAGES"] is False
    monkeypatch.setenv("LANET_DEV_PAGES", "1")
    assert config.load()["DEV_PAGES"] is True


def test_with_dev_pages_off_the_mail_folder_and_demo_password_are_not_served(
    app, client, db, monkeypatch
):
    monkeypatch.setitem(app.config, "DEV_PAGES", False)
    assert not app.config["MAIL_SERVER"]
    assert client.get("/dev/mail/").status_code == 404
    assert client.get("/dev/mail/x.eml").status_code == 404
    assert DEMO_PASSWORD not in client.get("/login").get_data(as_text=True)
    monkeypatch.setitem(app.config, "DEV_PAGES", True)
    assert client.get("/dev/mail/").status_code == 200


def test_the_readme_run_command_switches_them_on():
    script = (ROOT / "manage.sh").read_text()
    run = script[script.index("run() {") : script.index("test_suite() {")]
    assert 'export LANET_DEV_PAGES="${LANET_DEV_PAGES:-1}"' in run
    assert "./manage.sh run" in (ROOT / "README.md").read_text()


def test_docker_compose_migrates_without_seeding_demo_accounts():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        command = str(service.get("command", ""))
        assert "seed" not in command, name
        environment = service.get("environment") or {}
        assert "LANET_DEV_PAGES" not in environment, name
    assert "LANET_DEV_PAGES" not in compose["x-lanet-env"]


def test_seed_demo_from_the_cli_sets_no_known_password_unless_switched_on(app, db, monkeypatch):
    runner = app.test_cli_runner()
    monkeypatch.setitem(app.config, "DEV_PAGES", False)
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert "users create-staff" in result.output
    users = list(db.session.scalars(select(User)))
    assert users and all(u.password_hash is None for u in users)

    monkeypatch.setitem(app.config, "DEV_PAGES", True)
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    db.session.expire_all()
    staff = db.session.scalar(select(User).where(User.email == "staff@lanet.example"))
    assert verify_password(staff.password_hash, DEMO_PASSWORD)


def test_the_first_staff_account_comes_from_the_cli(app, db):
    result = app.test_cli_runner().invoke(
        args=["users", "create-staff", "first@secretariat.example", "--password", "a long secret 1"]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "first@secretariat.example"))
    assert verify_password(user.password_hash, "a long secret 1")
