"""Registration tasks: waiting-list promotion, offer expiry and reminders before the event.

The web process asks for a promotion right after a seat is freed; beat's sweep repeats the
work every minute so a broker outage only delays it, and sends the reminders once an hour.
"""

from __future__ import annotations

from celery import shared_task

from lanet import config

SWEEP_SECONDS = config.beat_intervals()["REGISTRATION_SWEEP_SECONDS"]

SCHEDULE = {
    "registration-sweep": {
        "task": "lanet.registration.sweep",
        "schedule": SWEEP_SECONDS,
        "options": {"expires": SWEEP_SECONDS},
    },
    "invitation-reminders": {
        "task": "lanet.registration.send_invitation_reminders",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
    "import-relay": {
        "task": "lanet.registration.import_relay",
        "schedule": 60.0,
        "options": {"queue": "mail", "expires": 60.0},
    },
    "import-rows-purge": {
        "task": "lanet.registration.purge_import_rows",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
    "registration-reminders": {
        "task": "lanet.registration.send_reminders",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}


@shared_task(name="lanet.registration.promote_waiting_list", acks_late=True)
def promote_waiting_list(event_id: int) -> list[int]:
    from lanet.registration import waitlist

    return waitlist.promote_waiting_list(event_id)


@shared_task(name="lanet.registration.sweep")
def sweep() -> dict:
    """Ends expired offers, then offers free seats wherever someone waits."""
    from lanet.registration import waitlist

    expired = waitlist.expire_offers()
    offered: list[int] = []
    for event_id in waitlist.events_with_free_seats_and_waiting():
        offered += waitlist.promote_waiting_list(event_id)
    return {"expired": expired, "offered": offered}


@shared_task(name="lanet.registration.send_reminders")
def send_reminders() -> int:
    from lanet.registration import notifications

    return notifications.send_event_reminders()


@shared_task(name="lanet.registration.send_invitation_reminders")
def send_invitation_reminders() -> dict[int, int]:
    """Reminders to the silent invitees on each organizer's schedule (days before closing)."""
    from lanet.registration import invitations

    return invitations.send_scheduled_reminders()


@shared_task(name="lanet.registration.run_import_job", ignore_result=True)
def run_import_job(job_id: int) -> bool:
    """One chunk of a bulk send; the next chunk is its own task, so a send of thousands
    never holds one worker for long and survives a worker's death (beat's relay)."""
    from lanet.registration import import_jobs

    done = import_jobs.run_chunk(job_id)
    if not done:
        import_jobs.continue_later(job_id)
    return done


@shared_task(name="lanet.registration.import_relay", ignore_result=True)
def import_relay() -> int:
    """Dispatches again the bulk sends a broker outage or a dead worker left unfinished."""
    from lanet.registration import import_jobs

    return import_jobs.relay()


@shared_task(name="lanet.registration.purge_import_rows", ignore_result=True)
def purge_import_rows() -> int:
    """Deletes the rows of bulk sends finished longer ago than their retention period."""
    from lanet.registration import import_jobs

    return import_jobs.purge_old_rows()
