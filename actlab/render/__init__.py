"""Views: what each command shows, built from the core's result types.

``terminal`` is the only module that talks to rich and plotext; ``files``
writes figures and files. One view module per command (``explore`` for list
and plot, ``grad``, ``stability``, ``sweep``, ``train`` for train and advise);
none computes an experiment or imports one.
"""
