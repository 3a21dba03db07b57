"""The ``actlab`` command group.

Commands live one module each and are imported only when named, so
``actlab --help`` never imports jax. Errors become one line on stderr: exit 2
for bad input (click usage errors and ``ActlabError``), 1 for anything else.
The process ends as soon as its result is out (``exit_now``).
"""

from __future__ import annotations

import atexit
import importlib
import os
import sys
import threading
from typing import NoReturn

import click

from actlab import __version__
from actlab.errors import ActlabError

# name -> "module:attribute"; the modules import jax inside their commands.
COMMANDS = {
    "list": "actlab.cli.explore:list_cmd",
    "plot": "actlab.cli.explore:plot_cmd",
    "grad": "actlab.cli.grad:grad_cmd",
    "stability": "actlab.cli.stability:stability_cmd",
    "train": "actlab.cli.train:train_cmd",
    "advise": "actlab.cli.train:advise_cmd",
    "sweep": "actlab.cli.sweep:sweep_cmd",
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

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as e:
            code = e.exit_code
        except click.exceptions.NoArgsIsHelpError as e:  # `actlab` alone: the help, as git does
            click.echo(e.ctx.get_help())
            code = 0
        except click.UsageError as e:
            click.echo(f"Error: {one_line(e.format_message())}", err=True)
            code = 2
        except ActlabError as e:
            click.echo(f"Error: {one_line(str(e))}", err=True)
            code = 2
        except click.ClickException as e:
            click.echo(f"Error: {one_line(e.format_message())}", err=True)
            code = e.exit_code
        except click.Abort:
            click.echo("Aborted.", err=True)
            code = 1
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            code = 130
        except Exception as e:  # a bug: say so in one line, traceback on request
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
        if standalone_mode:
            sys.exit(code)
        return code


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
