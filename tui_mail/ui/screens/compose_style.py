"""The compose screen's CSS, apart so that the screen's module holds its behaviour."""

COMPOSE_CSS = """
    ComposeScreen #compose-headers {
        height: auto;
        padding: 0 1;
        border-bottom: hkey $panel-lighten-2;
    }
    ComposeScreen .field {
        height: 1;
    }
    ComposeScreen .field Label {
        width: 9;
        text-style: bold;
    }
    ComposeScreen .field Input, ComposeScreen .field Select {
        width: 1fr;
    }
    ComposeScreen #attachments {
        height: auto;
        max-height: 6;
        display: none;
    }
    ComposeScreen #attachments.-some {
        display: block;
    }
    ComposeScreen #attach-path {
        display: none;
        margin-top: 1;
    }
    ComposeScreen #attach-path.-open {
        display: block;
    }
    ComposeScreen #body {
        height: 1fr;
    }
    ComposeScreen #compose-notice {
        height: auto;
        max-height: 4;
        padding: 0 1;
        background: $panel;
    }
"""
