"""Teaching module on Ramon Pacheco Pardo's op-ed "Korea falls in love with NATO" (EURACTIV, 2022).

Submodules, each with one job:

- :mod:`korea_nato.data` -- the article's events, drivers, statements, later events and
  spun-text glossary as pandas DataFrames;
- :mod:`korea_nato.quiz` -- data-driven quiz widgets and score panels for the lessons;
- :mod:`korea_nato.figures` -- the lessons' figures, each with a text description;
- :mod:`korea_nato.despin` -- the de-spinner of lesson 05, built on the glossary;
- :mod:`korea_nato.grading` -- the instructor's grading toolkit: gradebook access, parallel
  autograding, the integrity scan, feedback filters and the grade report (``korea-nato report``);
- :mod:`korea_nato.doctor` -- the install check (``korea-nato doctor``).

Nothing heavy is imported here, so ``import korea_nato`` stays fast.
"""

__version__ = "0.1.0"
