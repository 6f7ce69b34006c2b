"""Start policy packs as the Pulumi CLI does, forked from one warm process instead of each cold.

The CLI starts a Python pack as ``python -u -m pulumi.policy <engine-address> .`` in the pack's
folder, with the stack in its environment, and reads the port the pack prints. Twelve such starts (four
packs, three stacks) each pay Python's start-up and the import of pulumi, grpc and pulumi_policy, about
0.2 s of CPU apiece. Here one host process imports those three once; each pack is then a fork of it
that runs ``pulumi.policy`` exactly as the command line would: the same module, arguments, folder,
``sys.path``, environment and unbuffered output, in a process of its own. What the pack does from
there, its gRPC server included, is created after the fork, in the pack's process only (gRPC must not
be used across a fork: https://github.com/grpc/grpc/blob/master/doc/fork_support.md).

The engine talks to the host over a Unix socket: ``start`` hands it the pack's stdout and stderr
pipes (SCM_RIGHTS) and gets no answer, so starting never waits for the host to be warm; ``stop`` kills
a pack and answers with its exit status once the host has reaped it. A pack's pid stays held until then,
so a stop never reaches a reused pid. The host stops every pack when the engine's end of the socket
closes (the engine exited, however it exited), and on Linux each pack also dies with the host
(PR_SET_PDEATHSIG), should the host itself be killed.

Run as ``python offline/pack_host.py <socket-fd>``: by path, not ``-m``, so the host imports nothing
of the engine's that a pack could see.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import io
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: What ``python -m pulumi.policy`` imports before it runs the pack, and every Python pack imports
#: next: loaded once, in the host.
PRELOADED = ("pulumi", "pulumi.runtime", "pulumi_policy", "grpc")


class _Channel:
    """Length-prefixed JSON messages over a Unix stream socket, each with the file descriptors sent
    alongside it (SCM_RIGHTS): they arrive with the message's first bytes, and are handed out in order."""

    def __init__(self, sock: socket.socket) -> None:
        self.socket = sock
        self._buffer = b""
        self._fds: list[int] = []

    def send(self, message: Mapping[str, Any], fds: Sequence[int] = ()) -> None:
        body = json.dumps(message).encode()
        data = len(body).to_bytes(4, "big") + body
        sent = socket.send_fds(self.socket, [data], list(fds))
        self.socket.sendall(data[sent:])

    def receive(self) -> tuple[dict[str, Any], list[int]] | None:
        """The next message, with the descriptors it carried (``count`` of them: its ``"fds"``); None at
        the end of the stream."""
        while True:
            if len(self._buffer) >= 4:
                size = int.from_bytes(self._buffer[:4], "big")
                if len(self._buffer) >= 4 + size:
                    message = json.loads(self._buffer[4 : 4 + size])
                    self._buffer = self._buffer[4 + size :]
                    count = int(message.get("fds", 0))
                    fds, self._fds = self._fds[:count], self._fds[count:]
                    return message, fds
            data, fds, _, _ = socket.recv_fds(self.socket, 1 << 16, 8)
            self._fds.extend(fds)
            if not data:
                return None
            self._buffer += data


class PackProcess:
    """A started pack, as much of ``subprocess.Popen`` as the engine uses: its output pipes,
    ``kill``, ``wait`` and ``poll``."""

    def __init__(self, host: PackHost, number: int, stdout: io.TextIOWrapper, stderr: io.TextIOWrapper) -> None:
        self._host = host
        self.number = number
        self.stdout: io.TextIOWrapper | None = stdout
        self.stderr: io.TextIOWrapper | None = stderr
        self.returncode: int | None = None
        self._stopping = False

    def kill(self) -> None:
        if not self._stopping:
            self._stopping = True
            if self._host.running:
                self._host.send({"stop": self.number})

    def wait(self) -> int:
        self.kill()
        if self.returncode is None:
            # A pack dies with its host (see _die_with_parent): killed, if the host is gone.
            self.returncode = self._host.exit_status(self.number) if self._host.running else -signal.SIGKILL
        return self.returncode

    def poll(self) -> int | None:
        return self.returncode


class PackHost:
    """The engine's side of the host: one process, started once, shared by every pack session."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._channel = _Channel(ours)
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
        self._numbers = itertools.count()
        self._send_lock = threading.Lock()
        self._receive_lock = threading.Lock()
        self._statuses: dict[int, int] = {}

    def start(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> PackProcess:
        """Fork a pack running ``python -m`` ``argv`` (a module and its arguments) in ``cwd``."""
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        number = next(self._numbers)
        try:
            request = {"start": number, "argv": list(argv), "cwd": str(cwd), "env": dict(env), "fds": 2}
            self.send(request, (out_write, err_write))
        finally:
            os.close(out_write)
            os.close(err_write)
        return PackProcess(self, number, open(out_read, encoding="utf-8"), open(err_read, encoding="utf-8"))

    def send(self, request: Mapping[str, Any], fds: Sequence[int] = ()) -> None:
        with self._send_lock:
            try:
                self._channel.send(request, fds)
            except OSError as error:
                raise _stopped(str(error)) from None

    def exit_status(self, number: int) -> int:
        """Wait for the host to report that pack ``number`` was stopped and reaped."""
        with self._receive_lock:
            while number not in self._statuses:
                answer = self._channel.receive()
                if answer is None:
                    raise _stopped("it closed its socket")
                reply, _ = answer
                self._statuses[reply["stopped"]] = reply["returncode"]
            return self._statuses.pop(number)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """Close the socket: the host stops every pack it still runs, and exits."""
        self._channel.socket.close()
        self.process.wait()


def _stopped(detail: str) -> Exception:
    from offline import EngineError  # the engine's side only: the host imports nothing of the engine's

    return EngineError(f"the policy pack host stopped ({detail}); expected it to run until the engine ends")


_host: PackHost | None = None
_host_lock = threading.Lock()


def host() -> PackHost:
    """The process's pack host, started on first use (and again if it died), stopped at exit."""
    global _host
    with _host_lock:
        if _host is None or not _host.running:
            if _host is None:
                atexit.register(stop)
            _host = PackHost()
        return _host


def stop() -> None:
    """Stop the pack host, if one was started, and every pack it still runs."""
    if _host is not None and _host.running:
        _host.close()


# The host's side, run in its own process.


def _serve(control: socket.socket) -> None:
    # As the gc module's documentation advises for processes that fork without exec: no collection
    # in the host, and what it loaded frozen before each fork, so that no collection in a pack scans
    # (and copies, page by page) the objects it shares with the host.
    gc.disable()
    for module in PRELOADED:
        __import__(module)
    gc.freeze()
    packs: dict[int, int] = {}
    channel = _Channel(control)
    try:
        while (received := channel.receive()) is not None:
            request, fds = received
            if "start" in request:
                pid = os.fork()
                if pid == 0:
                    control.close()
                    _run_pack(request, fds)
                for fd in fds:
                    os.close(fd)
                packs[request["start"]] = pid
            elif "stop" in request:
                number = request["stop"]
                pid = packs.pop(number)
                os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
                channel.send({"stopped": number, "returncode": os.waitstatus_to_exitcode(status)})
    finally:
        for pid in packs.values():
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def _run_pack(request: Mapping[str, Any], fds: Sequence[int]) -> None:
    """In the forked child: become ``python -u -m <argv>`` in the pack's folder, and never return."""
    code = 1
    try:
        _die_with_parent()
        gc.enable()
        stdout, stderr = fds
        os.dup2(stdout, 1)
        os.dup2(stderr, 2)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        # -u: unbuffered binary streams, text written through.
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True, errors="backslashreplace")
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        module, *arguments = request["argv"]
        # -m puts the working folder first on the path, where the host had its own folder.
        sys.path[0] = os.getcwd()
        sys.argv = ["-m", *arguments]
        import runpy

        runpy.run_module(module, run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)


def _die_with_parent() -> None:
    """Linux: the kernel kills this pack when the host dies, however it dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the host died before the line above
        os._exit(1)


if __name__ == "__main__":
    _serve(socket.socket(fileno=int(sys.argv[1])))
