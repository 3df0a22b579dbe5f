"""The command line's exit statuses, below every module that ends a command with one (and
importing nothing: the console script's start-up reads them before anything else loads)."""

EXIT_USER = 2  # a mistake of the user's: bad input, a file that is not there, a usage error
EXIT_INTERNAL = 1  # querylang's own failure
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM, as a shell reports a process SIGINT ended
