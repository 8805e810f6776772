"""Worker app for the heartbeat test: the real app, with one edge fake.

When ``SCREENING_TEST_HANG=1`` is in this worker's environment, screening any VCF hangs (as a worker
stuck in native code would) until the process is killed. Everything else is the real engine. Started
as ``python -m celery -A hang_app worker`` with this folder on PYTHONPATH.
"""

import os
import threading

from screening import vcf_screen
from screening.tasks import app

_real_screen_vcf = vcf_screen.screen_vcf


def _screen_vcf(*args, **kwargs):
    if os.environ.get("SCREENING_TEST_HANG") == "1":
        threading.Event().wait()  # forever: only kill -9 ends it
    return _real_screen_vcf(*args, **kwargs)


vcf_screen.screen_vcf = _screen_vcf
__all__ = ["app"]
