"""Worker app for the poison-sample test: the real app, with one edge fake.

Screening any VCF whose file name contains ``POISON`` kills the worker process outright (SIGKILL), as
a sample that crashes native code would. Everything else is the real engine. Started as
``python -m celery -A poison_app worker`` with this folder on PYTHONPATH.
"""

import os
import signal

from screening import vcf_screen
from screening.tasks import app

_real_screen_vcf = vcf_screen.screen_vcf


def _screen_vcf(panel, sample, vcf_path, *args, **kwargs):
    if "POISON" in os.path.basename(str(vcf_path)):
        os.kill(os.getpid(), signal.SIGKILL)
    return _real_screen_vcf(panel, sample, vcf_path, *args, **kwargs)


vcf_screen.screen_vcf = _screen_vcf
__all__ = ["app"]
