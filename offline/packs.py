"""The policy packs' side of a preview, in a process of its own.

The Pulumi CLI runs the program, the engine and the policy packs in separate processes. The offline
engine runs the programs in the engine's own process (offline/synth.py); this module moves the
engine's half of the analyzer protocol (offline/analyzer.py: starting the packs, configuring them,
the ``Analyze`` and ``AnalyzeStack`` calls and reading their answers) into a second one. Each
resource is handed over as the program registers it, each stack once it is synthesized, and both are
analyzed while the programs go on, without taking the engine's process away from them: gRPC's
client does part of its work in Python threads, which would compete for that process's interpreter
lock with the program.

This process and everything it starts run at a lower scheduling priority (``NICENESS``): on a
machine with few cores the program, which every later step waits for, keeps a core to itself and
the packs take the rest.

Run as ``python -m offline.packs <socket-fd>``; the engine talks to it through
``multiprocessing.connection`` (pickled messages): ``start`` a stack's packs, ``register`` one of
its resources, ``analyze`` the stack, ``stop``. Each ``analyze`` is answered with the stack's
violations, or the error it met.
"""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Mapping, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from offline import EngineError, pack_host
from offline.analyzer import Answers, PackSession, StackIdentity, Violation
from offline.mocks import ResourceRecord
from offline.synth import StackResult

#: How much lower the packs' priority is than the program's (``nice``: 0 to 19).
NICENESS = 10
ROOT = Path(__file__).resolve().parent.parent


class PackProcesses:
    """The engine's handle on the packs' process: every policy pack, for each stack it is given."""

    def __init__(self, folders: Sequence[Path], policy_config: Mapping[str, Mapping[str, Any]]) -> None:
        ours, theirs = socket.socketpair()
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - kept open for the process's life, closed by close()
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        with theirs:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "offline.packs", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._errors,
            )
        self._connection = Connection(ours.detach())
        self._answers: dict[str, list[Violation] | EngineError] = {}
        # The program registers resources from several threads.
        self._sending = threading.Lock()
        self._send(("configure", list(folders), dict(policy_config)))

    def start(self, project: str, stack: str, config: Mapping[str, str]) -> None:
        """Start ``stack``'s packs, ahead of its synthesis."""
        self._send(("start", project, stack, dict(config)))

    def register(self, stack: str, record: ResourceRecord) -> None:
        """A resource ``stack``'s program has just registered: asked of the packs now."""
        self._send(("register", stack, record))

    def analyze(self, result: StackResult) -> None:
        """Analyze a synthesized stack; its answer is read with ``violations``."""
        self._send(("analyze", result))

    def violations(self, stack: str) -> list[Violation]:
        """The violations of a stack handed to ``analyze``, once the packs answered; or its error."""
        while stack not in self._answers:
            try:
                name, answer = self._connection.recv()
            except (EOFError, OSError):
                raise EngineError(f"the policy packs' process stopped: {self._last_error()}") from None
            self._answers[name] = answer
        answer = self._answers.pop(stack)
        if isinstance(answer, EngineError):
            raise answer
        return answer

    def close(self) -> None:
        """Stop every pack and the process."""
        if self._process.poll() is None:
            with contextlib.suppress(EngineError):
                self._send(("stop",))
            self._process.wait()
        self._connection.close()
        self._errors.close()

    def _send(self, message: tuple[Any, ...]) -> None:
        try:
            with self._sending:
                self._connection.send(message)
        except OSError:
            raise EngineError(f"the policy packs' process stopped: {self._last_error()}") from None

    def _last_error(self) -> str:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=10)
        self._errors.seek(0)
        lines = self._errors.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else f"exit code {self._process.poll()}"

    def __enter__(self) -> PackProcesses:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _serve(connection: Connection) -> None:
    """Take the engine's messages in order. A reader thread drains the socket so that the engine never
    waits on this process; a replier thread waits for each analyzed stack's answers and sends them."""
    messages: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
    replies: queue.SimpleQueue[tuple[str, PackSession, Answers | EngineError] | None] = queue.SimpleQueue()

    def read() -> None:
        try:
            while True:
                messages.put(connection.recv())
        except (EOFError, OSError):  # the engine went away
            pass
        except BaseException:
            traceback.print_exc()
        messages.put(("stop",))

    def reply() -> None:
        while (item := replies.get()) is not None:
            stack, session, answers = item
            try:
                answer = answers if isinstance(answers, EngineError) else answers.violations()
            except EngineError as error:
                answer = error
            finally:
                session.close()
            connection.send((stack, answer))

    threading.Thread(target=read, daemon=True).start()
    replier = threading.Thread(target=reply)
    replier.start()
    folders: list[Path] = []
    policy_config: dict[str, Any] = {}
    sessions: dict[str, PackSession] = {}
    failed: dict[str, EngineError] = {}
    try:
        while (message := messages.get())[0] != "stop":
            kind, *arguments = message
            if kind == "configure":
                folders, policy_config = arguments
            elif kind == "start":
                project, stack, config = arguments
                sessions[stack] = PackSession(folders, StackIdentity(project, stack, config), policy_config)
            elif kind == "register":
                stack, record = arguments
                if stack not in failed:
                    try:
                        sessions[stack].register(record)
                    except EngineError as error:  # a pack did not start: said when the stack is analyzed
                        failed[stack] = error
            elif kind == "analyze":
                (result,) = arguments
                session = sessions.pop(result.name)
                answers: Answers | EngineError
                try:
                    answers = failed.pop(result.name) if result.name in failed else session.ask(result)
                except EngineError as error:
                    answers = error
                replies.put((result.name, session, answers))
    finally:
        replies.put(None)
        replier.join()
        for session in sessions.values():
            session.close()


if __name__ == "__main__":
    os.nice(NICENESS)
    code = 0
    try:
        _serve(Connection(int(sys.argv[1])))
    except BaseException:
        traceback.print_exc()  # its last line is what the engine reports
        code = 1
    finally:
        # Every pack stopped: the engine waits for this process, not for the interpreter's teardown.
        pack_host.stop()
        sys.stderr.flush()
        os._exit(code)
