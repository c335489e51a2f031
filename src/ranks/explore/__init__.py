"""``ranks explore``: a local web app (Panel) for what-if experiments with a scenario's
levers: paired baseline and variant runs on Dask, a map at a chosen date, strength, displacement,
camps and returns with bands, paired differences, links to run directories and reports.

:mod:`ranks.explore.jobs` runs the pairs (no Panel needed); :mod:`ranks.explore.views` makes
the figures (Bokeh); :mod:`ranks.explore.app` is the page; :mod:`ranks.explore.server`
starts it. Panel is an optional dependency (``pip install 'ranks[explore]'``).
"""
