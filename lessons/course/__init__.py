"""The course's machinery: demo sites, site sets, the run record, plots, checks and the explorer.

The lesson's own programs live one level up (`lessons/synchronous.py`, `lessons/threaded.py`,
...), so that they are what a learner finds first when opening `lessons/`.
"""
