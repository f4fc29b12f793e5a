"""The main screen (folders | messages / reader) and the parts only it uses.

`screen.py` holds MainScreen; its widgets (folder tree, message list, reader, status bar,
splitter) and its helpers (triage, reading, search, account sync, outbox runner, reader
actions, compose opening, undo, pane layout) live beside it; the helpers are given
widgets and callables (ports.py), never the screen. Screens that other places
push (compose, account setup, doctor, help, outbox, folder picker) stay in ui/screens/;
widgets reusable elsewhere stay in ui/widgets/.
"""
