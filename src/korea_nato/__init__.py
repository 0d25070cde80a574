"""Teaching module on Ramon Pacheco Pardo's op-ed "Korea falls in love with NATO" (EURACTIV, 2022).

Submodules:

- :mod:`korea_nato.data` -- the article's events, drivers, later events and spun-text glossary
  as pandas DataFrames;
- :mod:`korea_nato.quiz` -- data-driven quiz widgets for the lessons.

Nothing heavy is imported here, so ``import korea_nato`` stays fast.
"""

__version__ = "0.1.0"
