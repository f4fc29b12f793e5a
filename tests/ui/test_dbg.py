import time
from tests.ui.conftest import *  # noqa
from tests.support.dovecot import make_message
from tui_mail.ui.screens.help import HelpScreen


async def test_dbg(dovecot, mail_user, make_app):
    dovecot.deliver(mail_user, (make_message(i) for i in range(20_000)))
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        t0 = time.monotonic()
        await wait_for(pilot, lambda: "syncing" in app.screen.query_one("#status").state("work"))
        t1 = time.monotonic()
        store = app.services["work"].store
        await pilot.press("question_mark")
        t2 = time.monotonic()
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), timeout=5)
        t3 = time.monotonic()
        n = store.counts(store.folder_id("INBOX"))[0]
        await pilot.press("escape")
        await settled(pilot, app)
        t4 = time.monotonic()
        print(
            f"syncing seen {t1 - t0:.2f} press {t2 - t1:.2f} help up {t3 - t2:.2f} count {n} settled {t4 - t3:.2f}"
        )
