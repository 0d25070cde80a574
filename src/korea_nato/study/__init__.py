"""The student's side of the module: a personal workspace, a self-check, and the course website.

- :mod:`korea_nato.study.workspace`: ``korea-nato study`` copies the lessons and the student
  versions of the problem sets into a workspace of the student's own, updates it without losing
  their work, and opens JupyterLab there with the student's tools only;
- :mod:`korea_nato.study.check`: ``korea-nato check NOTEBOOK`` (or ``check.this_notebook()`` in
  a problem set) grades a problem set the way the instructor would, without showing hidden tests;
- :mod:`korea_nato.study.site`: ``korea-nato site`` builds the course as a static website.
"""
