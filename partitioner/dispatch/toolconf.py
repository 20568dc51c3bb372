"""The tool's own configuration as ``partitioner exec`` checks it: ``.stestr.conf`` (or stestr's section of
``pyproject.toml`` / ``tox.ini``) and ``.testr.conf``, read by the tool itself at the moment it reads them, each
problem said in one line (:class:`~partitioner.errors.ConfigError`: the file, what is wrong, how to fix it).

Plain stestr shows configparser's traceback for a malformed file and testr its three-line message; under
``exec`` either also ended in a note that blamed the tool's test listing. The patch points
(:mod:`partitioner.dispatch.patches`) call these where the tool reads its file, before it lists or runs a test
or creates its repository; they raise only where the tool itself would fail, so a file the tool accepts is
never refused. A stestr ``test_path`` that names no directory is checked as stestr builds its listing command
(a repository stestr makes before that, it has made as it would), by the rule ``plan`` follows
(:func:`partitioner.listing.missing_test_path`), where stestr showed unittest's traceback.
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path

from partitioner.errors import ConfigError, exception_words

#: what each of testr's options is for, and an example value (``.testr.conf``'s ``[DEFAULT]``)
TESTR_OPTIONS = {
    "test_command": ("the command that lists and runs the tests",
                     "${PYTHON:-python} -m subunit.run discover -t ./ ./tests $LISTOPT $IDOPTION"),
    "test_id_option": ("its test_command uses $IDOPTION", "--load-list $IDFILE"),
    "test_list_option": ("its test_command uses $LISTOPT", "--list"),
}



def read_error(path: str, exc: Exception) -> ConfigError:
    """The error for a config file the tool's parser rejected (``configparser``, ``tomlkit`` or a decoding error).

    :param path: the file (made absolute: the tool names it relative to where it runs)
    """
    where = os.path.abspath(path)
    if isinstance(exc, configparser.Error):
        from partitioner.config import ini_problem  # only for an error: not on the way to every run's listing

        return ConfigError(f"cannot parse {where}: {ini_problem(exc)}")
    if isinstance(exc, UnicodeDecodeError):
        return ConfigError(f"cannot read {where}: byte 0x{exc.object[exc.start]:02x} at offset {exc.start} is not "
                           f"{exc.encoding} text; save the file as UTF-8")
    if where.endswith(".toml"):
        return ConfigError(f"cannot parse {where}: {exception_words(exc)}; fix the TOML syntax (stestr reads its "
                           "[tool.stestr] table there)")
    return ConfigError(f"{where}: {exception_words(exc)}; fix the value (a boolean option takes true or false)")


def stestr_without_test_path(config_file: str, section: str) -> ConfigError:
    """The error for a stestr run with no ``test_path``: none in the config file stestr read, none given with
    ``--test-path``.

    :param config_file: the file stestr read (``tox.ini`` when neither ``.stestr.conf`` nor pyproject.toml's
        ``[tool.stestr]`` is there)
    :param section: the section it read (``DEFAULT``, ``stestr`` in tox.ini)
    """
    where = os.path.abspath(config_file)
    how = "or pass the directory holding the tests as `stestr --test-path DIR run`"
    if not os.path.isfile(where):
        problem = _not_a_file(os.path.join(os.path.dirname(where), ".stestr.conf"))
        if problem is not None:  # stestr passed over it as if it were not there
            return problem
        if os.path.basename(where) == "tox.ini" and section == "stestr":
            return ConfigError(f"no stestr configuration in {os.path.dirname(where)}: neither .stestr.conf, nor "
                               "[tool.stestr] in pyproject.toml, nor [stestr] in tox.ini; create .stestr.conf with "
                               f"[DEFAULT] and test_path = ./DIR (the directory holding the tests), {how}")
        return ConfigError(f"stestr's config file {where} does not exist; create it with [DEFAULT] and test_path = "
                           f"./DIR, pass --config FILE naming one that does, {how}")
    table = "[tool.stestr]" if where.endswith(".toml") else f"[{section}]"
    return ConfigError(f"{where} sets no test_path in {table} and no --test-path was given: stestr cannot find the "
                       f"tests; add test_path = ./DIR (the directory holding the tests) under {table}, {how}")


def stestr_missing_test_path(config_file: str, section: str, test_path: str, given: bool) -> ConfigError | None:
    """The error for a stestr run whose test_path names no directory, or ``None``: the rule and the words ``plan``
    uses for its own listing (:func:`partitioner.listing.missing_test_path`), from the directory stestr runs in.

    :param config_file: the file stestr read, as it names it
    :param section: the section it read (``DEFAULT``, ``stestr`` in tox.ini)
    :param test_path: the value the run discovers from
    :param given: ``test_path`` is the command line's ``--test-path`` (stestr prefers it to the file's)
    """
    from partitioner.listing import missing_test_path  # a check, on the way to every run: only the rule's module

    where = os.path.abspath(config_file)
    table = "[tool.stestr]" if where.endswith(".toml") else f"[{section}]"
    problem = (missing_test_path(test_path, Path.cwd(), "--test-path") if given else
               missing_test_path(test_path, Path.cwd(), f"{table} in {where}",
                                 "pass one as `stestr --test-path DIR run`"))
    return ConfigError(problem) if problem is not None else None


def testr_missing(path: str) -> ConfigError:
    """The error for a testr project without its ``.testr.conf`` (``path``)."""
    where = os.path.abspath(path)
    problem = _not_a_file(where)
    if problem is not None:
        return problem
    return ConfigError(f"no {where}: testr reads its test_command there; create it with [DEFAULT] and test_command = "
                       f"{TESTR_OPTIONS['test_command'][1]} (`testr help run` lists the options), or run stestr in "
                       "a project that has .stestr.conf")


def testr_problem(parser: configparser.ConfigParser, path: str) -> ConfigError | None:
    """Why testr cannot build its test command from ``parser`` (its ``.testr.conf`` at ``path``, read by testr),
    or ``None``: the options it requires (``test_command``; ``test_id_option`` and ``test_list_option`` when
    the command uses ``$IDOPTION`` / ``$LISTOPT``), read with ``parser.get`` as testr reads them."""
    where = os.path.abspath(path)
    try:
        if not parser.has_option("DEFAULT", "test_command"):
            return _testr_option(where, "test_command")
        command = parser.get("DEFAULT", "test_command")
        for variable, option in (("$IDOPTION", "test_id_option"), ("$LISTOPT", "test_list_option")):
            if variable in command:
                if not parser.has_option("DEFAULT", option):
                    return _testr_option(where, option)
                parser.get("DEFAULT", option)
    except configparser.Error as exc:  # a value testr cannot expand (a lone %)
        return read_error(path, exc)
    return None


def _not_a_file(path: str) -> ConfigError | None:
    """The error for a tool's config file ``path`` that is there but no file (a directory, a dangling symlink), or
    ``None`` (:func:`partitioner.config.not_a_file`: the line ``plan`` says)."""
    from partitioner.config import not_a_file  # only for an error: not on the way to every run's listing

    problem = not_a_file(Path(path))
    return ConfigError(problem) if problem is not None else None


def _testr_option(where: str, option: str) -> ConfigError:
    why, example = TESTR_OPTIONS[option]
    return ConfigError(f"{where} sets no {option} in [DEFAULT] ({why}); add {option} = {example} under [DEFAULT]")
