"""A slow link for an ssh client: a ProxyCommand that relays stdin/stdout to a TCP port, late and throttled.

    ProxyCommand python tests/slow_relay.py --rtt 600 --kbit 64 127.0.0.1 %p

Each direction is its own link, modelled as a real narrow link carries TCP:

- **serialisation**: bytes leave at ``--kbit`` kbit/s, one segment (at most ``--mss`` bytes, each charged
  ``--overhead`` bytes of TCP/IP headers) after another; what arrives while the link is busy queues behind
  it, so a burst is spread out as on a 64 kbit/s line, and a key typed behind a burst waits for it;
- **propagation**: a segment is delivered half the round trip after its last byte left;
- **jitter** (``--jitter``): each segment up to that much later, uniformly;
- **loss** (``--loss``): TCP below ssh is reliable, so a lost segment is not missing but late: it comes
  one retransmission timeout later (``--rto``, by default the round trip + 200 ms as Linux computes it
  for a steady path), and everything behind it waits for it (head-of-line blocking).

Nothing is ever dropped, reordered or duplicated: ssh would treat that as a broken connection, not as a
slow one. When either side closes, the other is closed as soon as everything in flight is delivered.
With ``--tally FILE`` the bytes delivered each way (``UP DOWN``, ssh's stream without the modelled headers)
are written to FILE as they change, at most ten times a second, for a benchmark to read.

Only the standard library: ssh runs it as a plain program (``sys.executable`` path), and the benchmark
and the tests import ``LinkShape`` and ``proxy_command`` from it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import selectors
import shlex
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TCP_IP_HEADERS = 40  # bytes of IPv4 + TCP headers per segment, without options
MSS = 1448  # a segment's payload on an Ethernet-sized path with TCP timestamps
LINUX_MIN_RTO_S = 0.2


@dataclass(frozen=True)
class LinkShape:
    """How one direction of the link behaves; both directions get the same shape."""

    rtt_s: float = 0.6
    kbit: float = 64.0
    jitter_s: float = 0.0
    loss: float = 0.0
    rto_s: float | None = None  # None: rtt + 200 ms
    mss: int = MSS
    overhead: int = TCP_IP_HEADERS

    @property
    def bytes_per_second(self) -> float:
        return self.kbit * 1000 / 8

    @property
    def retransmission_s(self) -> float:
        return self.rto_s if self.rto_s is not None else self.rtt_s + LINUX_MIN_RTO_S

    def arguments(self) -> list[str]:
        """The command-line options that give this shape to ``python slow_relay.py``."""
        args = [f"--rtt={self.rtt_s * 1000:g}", f"--kbit={self.kbit:g}", f"--mss={self.mss}"]
        args.append(f"--overhead={self.overhead}")
        if self.jitter_s:
            args.append(f"--jitter={self.jitter_s * 1000:g}")
        if self.loss:
            args += [f"--loss={self.loss:g}", f"--rto={self.retransmission_s * 1000:g}"]
        return args


@dataclass
class Direction:
    """One direction: the schedule of segments in flight and what it has carried."""

    shape: LinkShape
    rng: random.Random
    free_at: float = 0.0  # when the link has finished serialising what it was given
    last_delivery: float = 0.0  # deliveries keep their order
    in_flight: deque[tuple[float, bytes]] = field(default_factory=deque)
    delivered: int = 0
    lock: threading.Condition = field(default_factory=threading.Condition)
    closed: bool = False

    def schedule(self, data: bytes, now: float) -> None:
        """Queue ``data`` that arrived at ``now``: each segment's delivery time, as the module docstring says."""
        shape = self.shape
        with self.lock:
            for start in range(0, len(data), shape.mss):
                segment = data[start : start + shape.mss]
                sent = max(now, self.free_at) + (len(segment) + shape.overhead) / shape.bytes_per_second
                self.free_at = sent
                due = sent + shape.rtt_s / 2
                if shape.jitter_s:
                    due += self.rng.uniform(0, shape.jitter_s)
                if shape.loss and self.rng.random() < shape.loss:
                    due += shape.retransmission_s
                due = max(due, self.last_delivery)
                self.last_delivery = due
                self.in_flight.append((due, segment))
            self.lock.notify()

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.lock.notify()

    def deliver(self, write: Callable[[bytes], object], done: Callable[[], object]) -> None:
        """Hand each segment to ``write`` at its time; once closed and empty, ``done`` (a thread of its own)."""
        try:
            while True:
                with self.lock:
                    while not self.in_flight and not self.closed:
                        self.lock.wait()
                    if not self.in_flight:
                        return
                    due, segment = self.in_flight[0]
                    wait = due - time.monotonic()
                    if wait > 0:
                        self.lock.wait(wait)  # or woken by new data behind the head: look again
                        continue
                    self.in_flight.popleft()
                write(segment)
                self.delivered += len(segment)
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                done()


class SlowLink:
    """Relay a pair of byte streams (the client's, the server's) through two shaped directions."""

    def __init__(self, shape: LinkShape, *, seed: int | None = None) -> None:
        self.shape = shape
        rng = random.Random(seed)
        self.up = Direction(shape, random.Random(rng.random()))  # client -> server
        self.down = Direction(shape, random.Random(rng.random()))  # server -> client

    def tally_to(self, path: Path, stop: threading.Event) -> None:
        """Keep ``path`` holding ``UP DOWN``, the bytes delivered each way, until ``stop`` (a thread of its own)."""
        written = None
        while True:
            now = (self.up.delivered, self.down.delivered)
            if now != written:
                path.with_suffix(".tmp").write_text(f"{now[0]} {now[1]}\n")
                path.with_suffix(".tmp").replace(path)  # a reader never sees half a line
                written = now
            if stop.wait(0.1) and (self.up.delivered, self.down.delivered) == written:
                return

    def run(self, client_in: int, client_out: int, server: socket.socket) -> None:
        """Relay until both sides have closed: ``client_in`` and ``client_out`` are ssh's pipes.

        An end of input on one side reaches the other once everything before it has been delivered, as a
        FIN does: the server hanging up closes ssh's input, which then exits and closes ours."""
        writers = [
            threading.Thread(
                target=self.down.deliver, args=(lambda data: _write_all(client_out, data), lambda: os.close(client_out))
            ),
            threading.Thread(target=self.up.deliver, args=(server.sendall, lambda: server.shutdown(socket.SHUT_WR))),
        ]
        for writer in writers:
            writer.start()
        with selectors.DefaultSelector() as selector:
            selector.register(client_in, selectors.EVENT_READ, self.up)
            selector.register(server, selectors.EVENT_READ, self.down)
            while selector.get_map():
                for key, _ in selector.select():
                    try:
                        data = os.read(client_in, 65536) if key.data is self.up else server.recv(65536)
                    except OSError:
                        data = b""
                    if data:
                        key.data.schedule(data, time.monotonic())
                    else:
                        selector.unregister(key.fileobj)
                        key.data.close()
        for writer in writers:
            writer.join()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def proxy_command(shape: LinkShape, *, tally: Path | None = None, python: str = sys.executable) -> str:
    """The ssh ``ProxyCommand`` option's value that puts this relay, with ``shape``, under an ssh client."""
    extra = [f"--tally={tally}"] if tally is not None else []
    argv = [python, str(Path(__file__).resolve()), *shape.arguments(), *extra, "%h", "%p"]
    # ssh expands %h and %p itself and hands the rest to the shell: quote everything but those.
    return " ".join(arg if arg in ("%h", "%p") else shlex.quote(arg) for arg in argv)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rtt", type=float, default=600.0, help="round trip in ms (each way gets half)")
    parser.add_argument("--kbit", type=float, default=64.0, help="kbit/s, each way")
    parser.add_argument("--jitter", type=float, default=0.0, help="up to this many ms more per segment")
    parser.add_argument("--loss", type=float, default=0.0, help="share of segments lost and sent again (0-1)")
    parser.add_argument("--rto", type=float, default=None, help="ms a lost segment comes late (rtt + 200)")
    parser.add_argument("--mss", type=int, default=MSS, help="largest segment, bytes")
    parser.add_argument("--overhead", type=int, default=TCP_IP_HEADERS, help="header bytes per segment")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--tally", type=Path, default=None, help="keep the bytes delivered each way in this file")
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    args = parser.parse_args(argv)
    shape = LinkShape(
        rtt_s=args.rtt / 1000,
        kbit=args.kbit,
        jitter_s=args.jitter / 1000,
        loss=args.loss,
        rto_s=None if args.rto is None else args.rto / 1000,
        mss=args.mss,
        overhead=args.overhead,
    )
    server = socket.create_connection((args.host, args.port))
    server.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    link = SlowLink(shape, seed=args.seed)
    stop = threading.Event()
    tally = None
    if args.tally is not None:
        tally = threading.Thread(target=link.tally_to, args=(args.tally, stop))
        tally.start()
    try:
        link.run(sys.stdin.fileno(), sys.stdout.fileno(), server)
    finally:
        stop.set()
        if tally is not None:
            tally.join()
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
