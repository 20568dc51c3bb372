"""The ``partitioner`` command line: :mod:`.main` wires :mod:`.commands` (one module per subcommand) with the
shared :mod:`.arguments`, and is the one place that turns errors into exit codes; :mod:`.console` holds the
streams a command uses."""
