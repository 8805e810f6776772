"""Worker app for the recovery measurements of the fault suite: the real app, with one edge fake.

With ``SCREENING_TEST_HANG_ONCE_DIR`` set, the first screen of each VCF anywhere (a marker file per VCF
name in that folder, created atomically) hangs until its process is killed, as a process stuck in
native code would; every later screen of that VCF is the real engine. So a test knows which process
holds a sample when it kills it, and the recovered attempt completes. Started as ``python -m celery
-A fault_app worker`` with this folder on PYTHONPATH.
"""

import os
import threading
from pathlib import Path

from screening import vcf_screen
from screening.tasks import app

_real_screen_vcf = vcf_screen.screen_vcf


def _screen_vcf(panel, sample, vcf_path, *args, **kwargs):
    folder = os.environ.get("SCREENING_TEST_HANG_ONCE_DIR")
    if folder:
        try:
            os.close(os.open(Path(folder) / Path(str(vcf_path)).name, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            pass  # screened (or hung) once already: the real engine
        else:
            threading.Event().wait()  # forever: only kill -9 ends it
    return _real_screen_vcf(panel, sample, vcf_path, *args, **kwargs)


vcf_screen.screen_vcf = _screen_vcf
__all__ = ["app"]
