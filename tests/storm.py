"""A storm of simultaneous registrations over HTTP, for the concurrency test and the benchmark.

Clients wait at a barrier and then post at once, each on its own connection, so the server
sees the requests together, as it would when a popular seminar opens.
"""

from __future__ import annotations

import http.client
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlencode, urlparse


@dataclass(frozen=True)
class Answer:
    status: int
    seconds: float
    error: str | None = None


@dataclass(frozen=True)
class StormResult:
    answers: list[Answer]
    wall_seconds: float

    @property
    def statuses(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for answer in self.answers:
            counts[answer.status] = counts.get(answer.status, 0) + 1
        return counts

    @property
    def per_second(self) -> float:
        return len(self.answers) / self.wall_seconds if self.wall_seconds else 0.0

    def percentile(self, fraction: float) -> float:
        times = sorted(a.seconds for a in self.answers)
        if not times:
            return 0.0
        index = min(len(times) - 1, max(0, round(fraction * len(times)) - 1))
        return times[index]


def post_form(base_url: str, path: str, values: dict, timeout: float = 60.0) -> Answer:
    """One POST on a fresh connection; redirects are answers, not followed."""
    parsed = urlparse(base_url)
    body = urlencode(values)
    start = time.perf_counter()
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = connection.getresponse()
        response.read()
        return Answer(response.status, time.perf_counter() - start)
    except OSError as error:
        return Answer(0, time.perf_counter() - start, repr(error))
    finally:
        connection.close()


def storm(base_url: str, path: str, forms: list[dict], clients: int) -> StormResult:
    """Posts every form, `clients` at a time, all released together at the start."""
    barrier = threading.Barrier(min(clients, len(forms)))

    def one(values: dict, wait: bool) -> Answer:
        if wait:
            barrier.wait(timeout=30)
        return post_form(base_url, path, values)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [
            pool.submit(one, values, index < barrier.parties) for index, values in enumerate(forms)
        ]
        answers = [future.result() for future in futures]
    return StormResult(answers, time.perf_counter() - start)


def registration_forms(count: int, countries: list[str], prefix: str) -> list[dict]:
    """Distinct applicants spread over the countries, as the public form posts them."""
    return [
        {
            "first_name": "Applicant",
            "last_name": f"{prefix} {number}",
            "email": f"{prefix}.{number}@storm.example.org",
            "country": countries[number % len(countries)],
            "new_institution_name": "Ministerio de Relaciones Exteriores",
            "new_institution_kind": "ministry_foreign_affairs",
            "position": "Asesor",
            "language": "es",
            "role": "participant",
            "consent": "y",
        }
        for number in range(count)
    ]
