"""``actlab lessons``: the course's and the classic papers' claims, measured and judged."""

from __future__ import annotations

import time

import click

from actlab.cli.options import json_option, overwrite_option


@click.command("lessons")
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--list", "list_only", is_flag=True, help="List the lesson ids with their claims; run nothing.")
@click.option("--save", "save_dir", metavar="DIR",
              help="Also write a Markdown handout (lessons.md) with the charts as PNG into the new "
                   "folder DIR; it appears whole or not at all.")
@overwrite_option
@click.option("--chart/--no-chart", default=True, show_default=True,
              help="Draw the terminal charts of the detailed view.")
@json_option
def lessons_cmd(ids, list_only, save_dir, overwrite, chart, as_json):
    """Every claim of the course notes and of the classic papers, measured here and judged.

    Without an ID: the whole catalogue in one table (about a minute on two CPU
    cores): each claim with its source, the measured figures, what the claim
    predicts, the verdict (holds, partly, does not hold here) and the command
    that digs deeper. With IDs: those lessons in detail, with their setup,
    figures, checks, a chart where one helps, and why the claim holds or where
    it breaks. Verdicts are computed from the measurement against thresholds
    that the output states; where a seed matters, over several seeds.

    \b
    Examples:
      actlab lessons
      actlab lessons vanishing init-he
      actlab lessons --list
      actlab lessons --save handout
    """
    from actlab.render import lessons as view

    save_path = view.check_handout_path(save_dir, overwrite=overwrite) if save_dir is not None else None
    if list_only and (ids or save_path is not None):
        raise click.UsageError("--list runs nothing; it does not go with IDs or --save")

    from actlab import runtime

    jax = runtime.configure()
    from actlab.lab import lessons

    chosen = lessons.resolve(ids) if ids else list(lessons.CATALOGUE.values())
    if list_only:
        view.catalogue(chosen, as_json=as_json)
        return
    start = time.perf_counter()
    with view.progress(len(chosen)) as tick:
        results = lessons.run([entry.id for entry in chosen], progress=tick)
    seconds = time.perf_counter() - start
    backend = jax.default_backend()
    if save_path is not None:
        view.save_handout(save_path, results, backend=backend, seconds=seconds)
    if ids:
        view.details(results, backend=backend, seconds=seconds, as_json=as_json, chart=chart)
    else:
        view.summary(results, backend=backend, seconds=seconds, as_json=as_json)
    if save_path is not None and not as_json:
        view.saved(save_path, results)
