"""The performance suite: tui-mail against the wire, aerc and neomutt, side by side.

Run ``python -m benchmarks`` from the repository root (``make bench`` installs the peers
first).  Everything runs against one loopback Dovecot started by the test harness
(tests/support/dovecot.py); clients run in a private tmux server, 120x40 panes.
See docs/BENCHMARKS.md for what each figure means and the latest results.
"""
