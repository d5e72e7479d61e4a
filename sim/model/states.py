"""Where a referred person can stand at the horizon."""

#: How each referred person stands at the horizon: exactly one of these.
FINAL_STATES = (
    "not_accepted",      # refused at intake, stays on ordinary assistance
    "turned_away",       # waiting list was full
    "reneged",           # gave up waiting
    "waiting",           # still on the waiting list
    "in_programme",      # in a stage, or waiting between stages
    "dropped_out",       # left a stage early, back on assistance
    "completed_no_job",  # finished, routed back to ordinary assistance
    "exited",            # finished, left the scope (moved, other benefit)
    "employed",          # placed and still in work
    "job_lost",          # placed, lost the job, back on assistance
    "found_work_on_own", # found work without the programme's help while waiting or in a stage
)

#: Final states of people back on ordinary assistance after the programme,
#: where their own chance of finding work goes on.
BACK_ON_ASSISTANCE = ("not_accepted", "turned_away", "reneged", "dropped_out", "completed_no_job")

#: Of those, the ones who never had a place: counted apart month by month,
#: so that a reader sees who the programme did not reach.
NEVER_STARTED = ("not_accepted", "turned_away", "reneged")

#: Where a completed stay can lead, besides another stage (numbered from 0).
JOB, BENEFIT, EXIT = -1, -2, -3
DESTINATION_CODES = {"job": JOB, "benefit": BENEFIT, "exit": EXIT}
