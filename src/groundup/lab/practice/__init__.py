"""Practice with the question bank: drills scheduled by FSRS, mock interviews, progress,
exports. `groundup lab drill|interview|progress|export` are the commands.

    store.py      the SQLite database (the only module that touches it)
    scheduler.py  FSRS (the `fsrs` package), one card per question id
    session.py    the clock, the console, one card asked and graded
    drill.py      a drill session: due cards, new cards, follow-ups, experiments
    interview.py  a mock interview down the follow-up chains
    progress.py   per-topic statistics, streak, the figure
    export.py     Anki, CSV and markdown, written atomically
    texts.py      every prompt and message, in English and Korean
    commands.py   the argparse subcommands

>>> from groundup.lab.practice import GRADE_WORDS
>>> GRADE_WORDS["good"], GRADE_WORDS["4"]
(3, 4)
"""

from groundup.lab.practice.texts import GRADE_WORDS, LANGS, TEXTS, PracticeError, t

__all__ = ["GRADE_WORDS", "LANGS", "TEXTS", "PracticeError", "t"]
