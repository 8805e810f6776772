"""kombu's filesystem transport, made safe for several worker processes on one machine.

kombu 5.x writes a message straight into the queue folder (``open(…, "wb")`` then ``write``), and a
consumer in another process moves and reads any file with the queue's name: it can read a file that
is still empty or half written, and ``json.loads`` then raises in the consumer loop — the worker
exits with ``CRITICAL Unrecoverable error: JSONDecodeError`` (seen when a failed sample was re-queued).
Here a message is written to a hidden temporary file, flushed to disk, and renamed into place
(atomic on POSIX), and a message that still cannot be decoded (a corrupt or foreign file) is moved
to the ``quarantine`` folder beside the queue and logged, never fatal.

The worker polls the folder from its event loop (``register_with_event_loop``), as it reads a Redis or
RabbitMQ socket. Without that, Celery falls back to its blocking loop and billiard's blocking pool,
whose children share one job pipe behind one lock: an idle child waits for work holding that lock,
and a child killed there (kill -9, the kernel's OOM killer) leaves the lock held for ever, so every
later child of that worker waits on it and the worker, alive and beating, never screens again (seen
in the fault suite's fifty kills). With the event loop Celery uses its asynchronous pool: one pipe
per child, and a job written to a child that dies before taking it is failed as lost, never kept.

Used as the transport alias ``screeningfs://`` (registered by :mod:`screening.tasks`).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import shutil
import tempfile
import uuid
from functools import cached_property
from queue import Empty
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

log = logging.getLogger(__name__)
ALIAS = "screeningfs"


class Channel(filesystem.Channel):
    @property
    def quarantine_folder(self) -> str:
        folder = self.transport_options.get("quarantine_folder") or os.path.join(
            os.path.dirname(os.path.abspath(self.data_folder_in)), "quarantine"
        )
        os.makedirs(folder, exist_ok=True)
        return folder

    def _put(self, queue, payload, **kwargs):
        """Write to a temporary name consumers ignore, then rename: readers never see a partial file."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        temporary = os.path.join(self.data_folder_out, f".tmp-{name}.part")
        try:
            with open(temporary, "wb") as out:
                out.write(str_to_bytes(dumps(payload)))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue):
        """The next decodable message, oldest first; undecodable ones are quarantined and skipped.

        The folder is listed again only when the names of the last listing are used up: with a day's
        batches queued (thousands of files), listing and sorting it for every message was most of a
        worker main process's CPU (py-spy). A listed name another consumer has taken since is skipped
        (its move fails); a message written after the listing is newer than every name still listed,
        so the order is kept."""
        waiting = self._waiting.setdefault(queue, collections.deque())
        for relist in (False, True):
            if relist:
                waiting.extend(self._names(queue))
            while waiting:
                name = waiting.popleft()
                payload = self._take(name)
                if payload is None:
                    continue
                try:
                    return loads(bytes_to_str(payload))
                except (ValueError, UnicodeDecodeError) as exc:
                    self._quarantine(name, payload, exc)
        raise filesystem.Empty()

    @cached_property
    def _waiting(self) -> dict[str, collections.deque[str]]:
        return {}

    def _names(self, queue: str) -> list[str]:
        """The queue's message files in the folder now, oldest first (names start with a timestamp)."""
        wanted = f"{queue}.msg"
        return sorted(
            n
            for n in os.listdir(self.data_folder_in)
            if not n.startswith(".") and n.partition(".")[2] == wanted
        )

    def _take(self, name: str) -> bytes | None:
        """Move the message out of the queue (only one consumer wins) and read it; None if another did."""
        source = os.path.join(self.data_folder_in, name)
        folder = self.processed_folder if self.store_processed else tempfile.gettempdir()
        target = os.path.join(folder, name)
        try:
            shutil.move(source, target)
        except OSError:
            return None  # taken by another consumer in the meantime
        try:
            with open(target, "rb") as f:
                payload = f.read()
            if not self.store_processed:
                os.remove(target)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot read file {target!r} from queue.") from exc
        return payload

    def _quarantine(self, name: str, payload: bytes, exc: Exception) -> None:
        path = os.path.join(self.quarantine_folder, name)
        with open(path, "wb") as out:
            out.write(payload)
        log.error(
            "broker: message %s could not be decoded (%s, %d bytes): quarantined in %s",
            name,
            type(exc).__name__,
            len(payload),
            self.quarantine_folder,
        )


class Transport(filesystem.Transport):
    Channel = Channel
    driver_type = "filesystem"
    driver_name = "filesystem"

    implements = filesystem.Transport.implements.extend(asynchronous=True)
    DELIVERIES_PER_POLL = 8  # then back to the loop: the pool's pipes and timers are served between

    def register_with_event_loop(self, connection, loop):
        loop.call_repeatedly(self.polling_interval, self._deliver_waiting, connection)

    def _deliver_waiting(self, connection) -> None:
        """Hand waiting messages to the consumer without blocking the loop: one look at the folder per
        delivery, stopping when it is empty or the prefetch limit is reached (the channel's QoS)."""
        for _ in range(self.DELIVERIES_PER_POLL):
            try:
                self.drain_events(connection, timeout=0)
            except (TimeoutError, Empty):
                return
