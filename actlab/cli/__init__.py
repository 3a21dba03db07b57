"""The ``actlab`` command group.

Commands live one module each and are imported only when named, so
``actlab --help`` never imports jax. Errors become one line on stderr: exit 2
for bad input (click usage errors and ``ActlabError``), 1 for anything else,
128 + N for signal N (Ctrl-C, SIGTERM, SIGHUP), after every ``finally`` ran.
The process ends as soon as its result is out (``exit_now``).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import os
import signal
import sys
import threading
import warnings
from typing import NoReturn

import click

from actlab import __version__
from actlab.errors import ActlabError
from actlab.limits import out_of_memory

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Stopped(BaseException):
    """A signal (Ctrl-C, SIGTERM, SIGHUP), raised where the program is, so that
    every ``finally`` runs: temporary files are removed (``actlab.render.files``)
    on the way out."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop(signum, frame):
    for sig in STOP_SIGNALS:  # a second signal must not cut the clean-up short
        signal.signal(sig, signal.SIG_IGN)
    raise Stopped(signum)


GRACE_SECONDS = 10.0


def _watch_signals() -> None:
    """A Python signal handler runs only between bytecodes of the main thread,
    never while it waits in a library call (a long compiled step, a stuck
    allocation). A thread hears every signal at once, through the wakeup file
    descriptor, and ends the process if the main thread has not ended within
    ``GRACE_SECONDS`` (long enough for a program call of ``--live`` to finish and
    report): the temporary files go first, then the process exits as it would
    have."""
    import socket
    import time

    heard, tell = socket.socketpair()
    tell.setblocking(False)
    signal.set_wakeup_fd(tell.fileno(), warn_on_full_buffer=False)

    def watch(tell=tell):  # the thread keeps both ends open
        signum = heard.recv(1)[0]
        time.sleep(GRACE_SECONDS)
        files = sys.modules.get("actlab.render.files")
        if files is not None:
            files.remove_temporaries()
        with contextlib.suppress(OSError):
            os.write(2, f"{_stopped_line(signum)} (forced: a library call did not return)\n".encode())
        os._exit(128 + signum)

    threading.Thread(target=watch, name="actlab-signals", daemon=True).start()


def _stopped_line(signum: int) -> str:
    return "Interrupted." if signum == signal.SIGINT else f"Stopped by {signal.Signals(signum).name}."


# name -> "module:attribute"; the modules import jax inside their commands.
COMMANDS = {
    "list": "actlab.cli.explore:list_cmd",
    "plot": "actlab.cli.explore:plot_cmd",
    "grad": "actlab.cli.grad:grad_cmd",
    "stability": "actlab.cli.stability:stability_cmd",
    "train": "actlab.cli.train:train_cmd",
    "advise": "actlab.cli.train:advise_cmd",
    "sweep": "actlab.cli.sweep:sweep_cmd",
    "predict": "actlab.cli.predict:predict_cmd",
    "lessons": "actlab.cli.lessons:lessons_cmd",
}


class ActlabGroup(click.Group):
    """A group that loads its commands lazily and keeps errors to one line."""

    def list_commands(self, ctx):
        return [name for name in COMMANDS if self.get_command(ctx, name) is not None]

    def get_command(self, ctx, cmd_name):
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name == module_name:  # a command not built yet
                return None
            raise
        return getattr(module, attr)

    def resolve_command(self, ctx, args):
        # Click's own message for an unknown command lacks a suggestion.
        name = args[0] if args else None
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            from actlab.errors import unknown

            raise click.UsageError(str(unknown("command", name, self.list_commands(ctx))))
        return super().resolve_command(ctx, args)

    def invoke(self, ctx):
        # Ctrl-C as the other signals: click would turn it into Abort after a blank line.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Stopped(signal.SIGINT) from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        with warnings.catch_warnings():
            warnings.showwarning = _warning_line
            return self._main(args, prog_name, complete_var, standalone_mode, **extra)

    def _main(self, args, prog_name, complete_var, standalone_mode, **extra):
        args = list(sys.argv[1:] if args is None else args)
        extra.setdefault("obj", {"argv": args})  # the command line, for a run's record
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as e:
            code = e.exit_code
        except click.exceptions.NoArgsIsHelpError as e:  # `actlab` alone: the help, as git does
            click.echo(e.ctx.get_help())
            code = 0
        except ActlabError as e:
            click.echo(f"Error: {one_line(str(e))}", err=True)
            code = 2
        except click.ClickException as e:  # usage errors (exit 2) among them
            click.echo(f"Error: {one_line(e.format_message())}", err=True)
            code = e.exit_code
        except Stopped as e:
            with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
                click.echo(_stopped_line(e.signum), err=True)
            code = 128 + e.signum
        except Exception as e:  # a bug: say so in one line, traceback on request
            too_big = out_of_memory(e)  # an allocation that failed is no bug: the same line as a refusal
            if too_big is not None:
                click.echo(f"Error: {too_big}", err=True)
                return _exit(2, standalone_mode)
            if os.environ.get("ACTLAB_DEBUG"):
                raise
            click.echo(
                f"Internal error: {type(e).__name__}: {one_line(str(e))} "
                "(set ACTLAB_DEBUG=1 for the traceback)",
                err=True,
            )
            code = 1
        else:
            code = rv if isinstance(rv, int) else 0
        return _exit(code, standalone_mode)


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """A library's warning as one line on stderr, without its source path."""
    with contextlib.suppress(OSError):
        sys.stderr.write(f"Warning: {one_line(str(message))}\n")


def _exit(code: int, standalone_mode: bool) -> int:
    if standalone_mode:
        sys.exit(code)
    return code


def command_line() -> str:
    """The command being run, as a shell line: ``actlab train digits --save run1``."""
    import shlex

    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    args = obj.get("argv", []) if isinstance(obj, dict) else sys.argv[1:]
    return shlex.join(["actlab", *args])


def one_line(message: str) -> str:
    return " ".join(message.split())


@click.group(cls=ActlabGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="actlab")
def cli():
    """actlab: see activation functions and losses, their derivatives, their
    numerics, and small networks trained with them.

    \b
    Examples:
      actlab plot relu --derivative
      actlab stability --logits 1000
    """


def main():
    for sig in STOP_SIGNALS:
        signal.signal(sig, _stop)
    _watch_signals()
    exit_now(cli.main(prog_name="actlab", standalone_mode=False))


def exit_now(code: int) -> NoReturn:
    """Ends the process without the interpreter's teardown of its modules.

    After a command, Python would spend a few tenths of a second freeing jax's
    modules and objects one by one, which nobody waits for. What that teardown
    does that matters is done here first: the exit handlers run (jax waits
    there for pending effects and shuts the distributed runtime down; the
    compilation cache was written as each program compiled), and stdout and
    stderr are flushed. The commands close the files they write before they
    return. While a thread of the process is still working, it ends the
    ordinary way, after that thread.
    """
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.exit(code)
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left (`actlab list | head`): nothing more to say
        code = code or 1
    except OSError as e:
        click.echo(f"Error: the output could not be written: {e.strerror or e}", err=True)
        code = code or 1
    sys.stderr.flush()
    os._exit(code)
