"""The ``actlab`` command group.

Commands live one module each and are imported only when named, so
``actlab --help`` never imports jax. Errors become one line on stderr: exit 2
for bad input (click usage errors and ``ActlabError``), 1 for anything else.
"""

from __future__ import annotations

import importlib
import os
import sys

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

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        args = list(sys.argv[1:] if args is None else args)
        extra.setdefault("obj", {"argv": args})  # the command line, for a run's record
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
    cli.main(prog_name="actlab")
