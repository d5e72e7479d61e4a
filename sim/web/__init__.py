"""The web page: a programme's main figures as controls, a run, its answer in
words and charts, variants side by side, sizing and downloads, for planners
and budget officers who do not use a command line. Built on ``sim.api``.

``controls`` says which fields a person may set and how; ``charts`` draws a
run in the browser (Vega-Lite through Altair); ``page`` is the Streamlit
script that ``pilotsim app`` serves.
"""
