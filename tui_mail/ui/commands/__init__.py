"""The `:` command line's language, apart from any screen: which commands exist and what
their arguments are (registry), how a typed line becomes one (parse), what Tab offers
(complete) and the lines kept between runs (history). The main screen's dispatcher,
ui/main/commands.py, says what each command does.
"""
