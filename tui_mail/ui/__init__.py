"""The Textual interface: thin, it only talks to tui_mail.core.account.service.

Layout: `main/` is the main screen with its widgets and helpers, `screens/` the other
screens, `widgets/` widgets any screen may use. The UI reaches the cache only through
AccountService (never `service.store`, never an import of `tui_mail.core.store`).

One rule for background work reaching the UI (tests/unit/test_ui_rules.py holds it):

1. Blocking or slow work never runs on the event loop. Core work is awaited through
   AccountService's async methods, which run it on the account's own worker thread.
   UI-side blocking work (rendering a large message, writing a file, discovery) runs in
   a worker of the widget or screen that owns the result: awaited with
   `asyncio.to_thread` inside its async `@work`, or in a `@work(thread=True)`.
2. Results come back as the awaited value inside an async `@work` of the owner, or, from
   any other thread (a service callback: events, sync progress, reconnects, the new-mail
   bell; a discovery or doctor step), only as a Textual Message sent with `post_message`,
   which is thread-safe. Its handler, on the event loop, updates the screen.
3. Nothing off the event loop touches a widget or a reactive, and nothing calls
   `call_from_thread`.
4. Only widgets and screens start workers (`@work`, `run_worker`); a helper that is not a
   widget (Triage, Reading, Search, ReaderActions, Export, OutboxRunner, AccountSync) hands its
   work to the screen as a coroutine method, which the screen's `@work` awaits.

The main screen's helpers hold no screen. Each is given the widgets it drives and, for
what it asks of the screen or the app (start this worker, rebuild the tree, push a
screen), a callable or a small Protocol (ui/main/ports.py). Widgets own their state: no
code sets another widget's attributes, it calls the widget's methods, and a widget tells
the screen what happened by posting a Message (FolderTree.FolderChosen,
MessageList.Selected/Highlighted/MarksChanged). tests/unit/test_ui_rules.py holds this too.
"""
