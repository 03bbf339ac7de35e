"""The process layer: the rules between phases and every state change of a case, with what it
sets off across the records.

- `gates` and `ladder`: the phase gates and the ladder's step-up gate, the plain-language
  reasons a move is closed, read from the records' models. A record may ask them (scheduling a
  contact visit asks whether contact is allowed); they import only models.
- `transitions`: advance, override, pause, resume, close, and their consequences.
- `pausing`: the writes whose content pauses a case.

It may import every record app; no record app imports `transitions` or `pausing`: the pages,
the API, the command line and the demo call them (`reunify/tests/test_layering.py`).
"""
