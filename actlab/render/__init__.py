"""Views: what each command shows, built from the core's result types.

``terminal`` is the only module that talks to rich and plotext; ``files``
writes figures and files. One view module per command (``explore`` for list
and plot, ``grad``, ``stability``, ``sweep``, ``train`` for train and advise,
``live`` for train --live, ``lrfind`` for --find-lr, ``predict``, ``lessons``),
and the parts they share (``layers``, ``images``, ``commands``); none computes
an experiment or imports one.
"""
