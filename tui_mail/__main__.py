from tui_mail.cli import main

raise SystemExit(main())
